"""The durable outbox: what fired triggers wrote, until the deliverer has sent it.

An :class:`Outbox` is an :class:`~shopstream.decide.ActivationSink`: ``put`` stores
activations durably and ignores a key it already holds, so a trigger that fires again on a
replay writes nothing new. The deliverer then works it as a queue:

- ``claim`` takes the due ``pending`` entries and leases them: their ``due_at`` moves to
  ``now + lease`` and ``attempts`` goes up by one. A deliverer that dies mid-batch never
  marks its entries, so they come due again when the lease runs out and are sent again
  with the same idempotency key (the activation key): delivery is at least once, and the
  receiver's dedupe by key makes it exactly once at the receiving end.
- ``delivered`` marks an entry done, ``failed`` puts it back with the time to retry,
  ``dead`` gives up on it (a dead letter, kept with its last error).

Every outcome is also kept as a :class:`DeliveryOutcome` (``sent``, ``delivered``,
``failed``, ``dead``), read in order by measure.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from shopstream.core import CustomerId
from shopstream.decide import Activation, ActivationSink


class EntryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


class OutcomeStatus(StrEnum):
    """``sent``: a provider accepted it for sending; ``delivered``: the receiver has it."""

    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    DEAD = "dead"


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One activation in the outbox with its delivery state; ``id`` orders the outbox."""

    id: int
    activation: Activation
    status: EntryStatus
    attempts: int
    due_at: datetime
    updated_at: datetime
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    """What one delivery attempt came to; ``id`` orders the outcomes."""

    id: int
    key: str
    customer_id: CustomerId
    channel: str
    kind: str
    trigger_id: str
    offer_id: str | None
    decision_id: str
    status: OutcomeStatus
    at: datetime
    detail: str = ""


class Outbox(ActivationSink, Protocol):
    """The deliver domain's durable queue of activations (see the module docstring)."""

    def put(self, activations: Sequence[Activation]) -> int:
        """Store durably; return how many were new (a key already held is ignored)."""
        ...

    def watch(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` (from any thread) whenever ``put`` stored something new."""
        ...

    def claim(
        self,
        *,
        now: datetime,
        limit: int,
        lease: timedelta,
        channels: Collection[str] | None = None,
    ) -> list[OutboxEntry]:
        """Lease up to ``limit`` due pending entries (the earliest due), returned in id order."""
        ...

    def delivered(
        self, key: str, status: OutcomeStatus, *, now: datetime, detail: str = ""
    ) -> None:
        """Mark ``key`` done; ``status`` is ``sent`` or ``delivered``."""
        ...

    def failed(self, key: str, *, error: str, retry_at: datetime, now: datetime) -> None:
        """Put ``key`` back, due again at ``retry_at``."""
        ...

    def dead(self, key: str, *, error: str, now: datetime) -> None:
        """Give up on ``key``: a dead letter, kept with its last error."""
        ...

    def next_due(self) -> datetime | None:
        """When the earliest pending entry comes due (``None`` when nothing is pending)."""
        ...

    def entries(
        self, *, status: EntryStatus | None = None, after: int = 0, limit: int = 100
    ) -> list[OutboxEntry]:
        """Entries with ``id > after`` in id order, of one status or all."""
        ...

    def get(self, key: str) -> OutboxEntry | None: ...

    def outcomes(self, *, after: int = 0, limit: int = 1000) -> list[DeliveryOutcome]:
        """Delivery outcomes with ``id > after``, in the order they happened."""
        ...

    def counts(self) -> dict[EntryStatus, int]: ...


class MemoryOutbox:
    """:class:`Outbox` in memory (tests, and a library user who needs no durability).

    Examples:
        >>> from datetime import UTC
        >>> box = MemoryOutbox()
        >>> at = datetime(2026, 1, 1, tzinfo=UTC)
        >>> a = Activation("k1", CustomerId("c1"), "webhook", "offer", "t", None, "d", {}, at)
        >>> box.put([a, a])
        1
        >>> [e.activation.key for e in box.claim(now=at, limit=10, lease=timedelta(seconds=30))]
        ['k1']
    """

    def __init__(self) -> None:
        self._entries: dict[str, OutboxEntry] = {}
        self._outcomes: list[DeliveryOutcome] = []
        self._watchers: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def put(self, activations: Sequence[Activation]) -> int:
        new = 0
        with self._lock:
            for activation in activations:
                if activation.key in self._entries:
                    continue
                new += 1
                self._entries[activation.key] = OutboxEntry(
                    len(self._entries) + 1, activation, EntryStatus.PENDING, 0,
                    activation.at, activation.at,
                )  # fmt: skip
        if new:
            for callback in self._watchers:
                callback()
        return new

    def watch(self, callback: Callable[[], None]) -> None:
        self._watchers.append(callback)

    def claim(
        self,
        *,
        now: datetime,
        limit: int,
        lease: timedelta,
        channels: Collection[str] | None = None,
    ) -> list[OutboxEntry]:
        with self._lock:
            due = sorted(
                (e for e in self._entries.values()
                 if e.status is EntryStatus.PENDING and e.due_at <= now
                 and (channels is None or e.activation.channel in channels)),
                key=lambda e: (e.due_at, e.id),
            )[: max(0, limit)]  # fmt: skip
            claimed = []
            for entry in due:
                leased = replace(entry, attempts=entry.attempts + 1, due_at=now + lease)
                self._entries[entry.activation.key] = leased
                claimed.append(leased)
            return sorted(claimed, key=lambda e: e.id)

    def _finish(
        self, key: str, status: OutcomeStatus, entry_status: EntryStatus, *,
        now: datetime, detail: str, due_at: datetime | None = None,
    ) -> None:  # fmt: skip
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return
            error = detail if status in (OutcomeStatus.FAILED, OutcomeStatus.DEAD) else None
            self._entries[key] = replace(
                entry, status=entry_status, updated_at=now, last_error=error,
                due_at=due_at or entry.due_at,
            )  # fmt: skip
            a = entry.activation
            self._outcomes.append(DeliveryOutcome(
                len(self._outcomes) + 1, key, a.customer_id, a.channel, a.kind, a.trigger_id,
                a.offer_id, a.decision_id, status, now, detail,
            ))  # fmt: skip

    def delivered(
        self, key: str, status: OutcomeStatus, *, now: datetime, detail: str = ""
    ) -> None:
        self._finish(key, status, EntryStatus.DELIVERED, now=now, detail=detail)

    def failed(self, key: str, *, error: str, retry_at: datetime, now: datetime) -> None:
        self._finish(key, OutcomeStatus.FAILED, EntryStatus.PENDING, now=now, detail=error,
                     due_at=retry_at)  # fmt: skip

    def dead(self, key: str, *, error: str, now: datetime) -> None:
        self._finish(key, OutcomeStatus.DEAD, EntryStatus.DEAD, now=now, detail=error)

    def next_due(self) -> datetime | None:
        with self._lock:
            pending = [e.due_at for e in self._entries.values() if e.status is EntryStatus.PENDING]
        return min(pending, default=None)

    def entries(
        self, *, status: EntryStatus | None = None, after: int = 0, limit: int = 100
    ) -> list[OutboxEntry]:
        with self._lock:
            found = sorted(
                (e for e in self._entries.values()
                 if e.id > after and (status is None or e.status is status)),
                key=lambda e: e.id,
            )  # fmt: skip
        return found[: max(0, limit)]

    def get(self, key: str) -> OutboxEntry | None:
        with self._lock:
            return self._entries.get(key)

    def outcomes(self, *, after: int = 0, limit: int = 1000) -> list[DeliveryOutcome]:
        with self._lock:
            return [o for o in self._outcomes if o.id > after][: max(0, limit)]

    def counts(self) -> dict[EntryStatus, int]:
        with self._lock:
            counts = dict.fromkeys(EntryStatus, 0)
            for entry in self._entries.values():
                counts[entry.status] += 1
        return counts


__all__ = (
    "DeliveryOutcome",
    "EntryStatus",
    "MemoryOutbox",
    "Outbox",
    "OutboxEntry",
    "OutcomeStatus",
)
