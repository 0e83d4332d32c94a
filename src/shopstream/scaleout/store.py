"""The ports the scale-out workers need; ``storage/`` implements them (Redis, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from shopstream.core import CustomerId, Offset
from shopstream.events import Message
from shopstream.log import DeadLetter
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
        (else :class:`LeaseLost`, nothing applied). Returns each event's customer."""
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
