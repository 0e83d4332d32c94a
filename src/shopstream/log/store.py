"""The ``EventLog`` protocol: a durable, ordered, replayable log of events.

Semantics every backend honours:

- ``append`` returns only once the batch is durable (by the backend's fsync policy), with one
  offset per message, in order. Offsets increase strictly and are never reused.
- A message whose ``(source, messageId)`` is already in the log is accepted and not appended
  again: its offset is the one it was first given.
- ``read(after, limit)`` returns records with offsets greater than ``after``, in order.
- A consumer's checkpoint is the offset it has durably processed; it only moves forward.
- Dead letters are rejected events with their reasons; they never enter the log.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from shopstream.core import Offset
from shopstream.events import Identifier, Message
from shopstream.log.records import DeadLetter, LogRecord


class EventLog(Protocol):
    async def append(
        self, messages: Sequence[Message], *, payloads: Sequence[bytes] | None = None
    ) -> list[Offset]:
        """Append ``messages``; ``payloads``: their logged form (``message_to_json`` of each),
        when the caller has made it already."""
        ...

    async def read(self, after: Offset, limit: int) -> list[LogRecord]: ...

    async def last_offset(self) -> Offset: ...

    async def wait_for(self, after: Offset, timeout: float) -> bool:
        """Wait until an offset greater than ``after`` exists; ``False`` on timeout."""
        ...

    async def checkpoint(self, consumer: str, offset: Offset) -> None: ...

    async def committed(self, consumer: str) -> Offset: ...

    async def dead_letter(self, letters: Sequence[DeadLetter]) -> None: ...

    async def dead_letters(self, after: int, limit: int) -> list[DeadLetter]: ...

    async def ping(self) -> None:
        """Raise :class:`LogUnavailable` when the log cannot take an append now."""
        ...

    async def close(self) -> None: ...


class EventIndex(Protocol):
    """The log looked up by customer identifier: a customer's events, and unmerge's input.

    Every answer covers all the events appended before the call.
    """

    def catch_up(self, limit: int | None = None) -> int:
        """Index what was appended since the last call (at most ``limit`` events); returns
        how many were indexed."""
        ...

    def offsets(
        self, identifiers: Iterable[Identifier], before: Offset | None = None
    ) -> list[Offset]: ...

    def payloads(self, offsets: list[Offset]) -> list[tuple[Offset, bytes]]: ...

    def history(
        self, identifiers: Iterable[Identifier], before: Offset | None = None
    ) -> list[tuple[Offset, Message]]: ...
