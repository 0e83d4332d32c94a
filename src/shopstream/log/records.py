"""What the log holds: appended records and dead letters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shopstream.core import Offset
from shopstream.events import Message, message_from_json


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One appended event: its offset and its logged (normalised) JSON."""

    offset: Offset
    payload: bytes

    @property
    def message(self) -> Message:
        return message_from_json(self.payload)


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why one event of a request was not appended."""

    index: int
    field: str
    reason: str


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A rejected event, kept with its reason so an operator can see and replay it."""

    source: str
    received_at: datetime
    field: str
    reason: str
    payload: bytes
    id: int | None = None
