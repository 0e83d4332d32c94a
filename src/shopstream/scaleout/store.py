"""The ports the scale-out workers need; ``storage/`` implements them (Redis, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from shopstream.core import CustomerId, Offset
from shopstream.events import Message
from shopstream.log import DeadLetter, LogRecord
from shopstream.scaleout.updates import OnlineUpdate


class Entry(Protocol):
    """One partition entry delivered to a worker."""

    @property
    def partition(self) -> int: ...

    @property
    def offset(self) -> Offset: ...

    @property
    def payload(self) -> bytes: ...

    @property
    def message(self) -> Message: ...


class PartitionedLog(Protocol):
    """The log's partitions, read by a group of workers (Redis Streams consumer groups)."""

    partitions: int

    async def group_read(
        self,
        group: str,
        consumer: str,
        count: int,
        block_ms: int | None = None,
        *,
        partitions: Sequence[int] | None = None,
    ) -> Sequence[Entry]: ...

    async def claim(self, group: str, consumer: str, partition: int) -> Sequence[Entry]:
        """Take over every entry of ``partition`` delivered and not acknowledged, by offset."""
        ...

    async def ack(self, group: str, entries: Sequence[Entry]) -> int: ...

    async def resume_points(self, group: str) -> Sequence[Offset]:
        """Per partition, the first offset ``group`` will deliver (again): its oldest pending
        entry, else the first it has not delivered, else one past the log's end."""
        ...

    async def trim_archived(self, group: str) -> Offset:
        """Drop what ``group`` has acknowledged (hence archived); the offset trimmed up to."""
        ...

    async def dead_letters(self, after: int, limit: int) -> Sequence[DeadLetter]:
        """Dead letters still in the log with ids above ``after``, by id."""
        ...

    async def trim_dead_letters(self, through: int) -> None:
        """Drop the dead letters with ids up to ``through`` (archived)."""
        ...


class Leases(Protocol):
    """Exclusive, expiring ownership of partitions: one worker applies a partition at a time."""

    async def heartbeat(self, worker: str, ttl_ms: int) -> int:
        """Say ``worker`` is alive; how many workers are."""
        ...

    async def acquire(self, partition: int, worker: str, ttl_ms: int) -> str | None:
        """A fencing token if ``partition`` was free, else ``None``."""
        ...

    async def renew(self, partition: int, token: str, ttl_ms: int) -> bool: ...

    async def release(self, partition: int, token: str) -> None: ...


@dataclass(frozen=True, slots=True)
class RebuildPlan:
    """A rebuild of the online state from the archive, stored with the state so that another
    worker can finish it: replay the archived events of partition ``p`` with offsets below
    ``bounds[p]`` (the streams deliver the rest), ``total`` of them; ``done``: the offset the
    archive was read up to, ``rebuilt`` events applied so far."""

    bounds: tuple[Offset, ...]
    total: int
    done: Offset
    rebuilt: int

    @property
    def through(self) -> Offset:
        """The offset the state is whole up to once the plan is done (from every partition)."""
        return Offset(min(self.bounds, default=Offset(1)) - 1)


class OnlineState(Protocol):
    async def merges(self, limit: int = 1000) -> Sequence[Merged]:
        """Merges made by :meth:`apply` and not yet forgotten, oldest first."""
        ...

    async def forget_merges(self, merged: Sequence[Merged]) -> None: ...

    async def forget_applied(self, through: Offset) -> int:
        """Forget which offsets up to ``through`` were applied, keeping them applied: every
        one of them was, and none can be delivered again (the log is trimmed above them)."""
        ...

    async def apply(
        self, updates: Sequence[OnlineUpdate], fences: Mapping[int, str]
    ) -> list[CustomerId | None]:
        """Apply each update atomically and at most once (an offset applied before changes
        nothing), only while every partition in ``fences`` is still held with its token
        (else :class:`LeaseLost`, nothing applied), and only when the state is whole (else
        :class:`OnlineStateLost`). Returns each event's customer."""
        ...

    async def seeded(self) -> bool:
        """Whether the state is whole (rebuilt, or never lost), so events may be applied."""
        ...

    async def take_rebuild(self, worker: str, ttl_ms: int) -> str | None:
        """The rebuild lease's token if it was free, else ``None`` (another worker holds it)."""
        ...

    async def rebuild_plan(self) -> RebuildPlan | None:
        """The plan of a rebuild under way (its rebuilder may have died), if any."""
        ...

    async def plan_rebuild(self, token: str, plan: RebuildPlan) -> RebuildPlan | None:
        """Store ``plan`` unless one is stored; the plan to carry out, or ``None`` when there
        is nothing to rebuild (the state is whole or kept its memory; the lease is released)."""
        ...

    async def apply_rebuilt(
        self, updates: Sequence[OnlineUpdate], token: str, ttl_ms: int, done: Offset
    ) -> None:
        """Apply archived events as :meth:`apply` does, fenced by the rebuild lease (renewed
        for ``ttl_ms``) instead of partition leases, recording progress up to ``done``."""
        ...

    async def finish_rebuild(self, token: str, through: Offset) -> None:
        """Mark the state whole up to ``through``, drop the plan, release the lease."""
        ...


@dataclass(frozen=True, slots=True)
class ArchivedEvent:
    """One processed event, with the customer it was resolved to (``None``: no shopper)."""

    offset: Offset
    partition: int
    payload: bytes
    message: Message
    customer_id: CustomerId | None


@dataclass(frozen=True, slots=True)
class Merged:
    """Two customers found to be one: ``loser``'s identifiers and state moved to ``winner``."""

    entry_id: str
    offset: Offset
    loser: CustomerId
    winner: CustomerId
    message_id: str
    at_ms: int


class Archive(Protocol):
    async def archive(self, events: Sequence[ArchivedEvent]) -> None:
        """Store durably; idempotent (an event archived twice is stored once)."""
        ...

    async def archive_merges(self, merges: Sequence[Merged]) -> None:
        """Store merges durably; idempotent."""
        ...

    async def archive_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        """Store dead letters durably by id; idempotent."""
        ...

    async def replay(
        self, after: Offset, limit: int, bounds: Sequence[Offset]
    ) -> Sequence[LogRecord]:
        """Archived events with offsets above ``after`` and below their partition's bound
        (``bounds[partition]``), by offset."""
        ...

    async def count_before(self, bounds: Sequence[Offset]) -> int:
        """How many archived events lie below their partition's bound."""
        ...
