"""Several processors fed as one: the log is read and decoded once for all of them."""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence

from shopstream.core import Offset
from shopstream.events import Message
from shopstream.log.consumer import Processor

_LENGTH = struct.Struct(">Q")


class Fanout:
    """A :class:`Processor` made of processors, saved together at one offset.

    Each part skips what it has already applied, so after a restore the parts, even if saved
    at different offsets by an older version, come back in step.
    """

    def __init__(self, name: str, parts: Sequence[Processor]) -> None:
        if not parts:
            msg = "Fanout needs at least one processor"
            raise ValueError(msg)
        self.name = name
        self.parts = tuple(parts)

    @property
    def offset(self) -> Offset:
        return min(part.offset for part in self.parts)

    def apply(self, events: Iterable[tuple[Offset, Message]]) -> None:
        events = list(events)  # every part reads them
        for part in self.parts:
            part.apply(events)

    def dump(self) -> bytes:
        chunks = [part.dump() for part in self.parts]
        return b"".join(_LENGTH.pack(len(chunk)) + chunk for chunk in chunks)

    def load(self, state: bytes) -> None:
        """Load each part's state; parts added after the state was saved (it ends before
        them) start empty and catch up from the log."""
        position = 0
        for part in self.parts:
            if position >= len(state):
                break
            (length,) = _LENGTH.unpack_from(state, position)
            position += _LENGTH.size
            part.load(state[position : position + length])
            position += length
