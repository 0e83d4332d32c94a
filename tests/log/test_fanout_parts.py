"""A Fanout restores from a state saved before a part was added: the new part starts empty."""

from __future__ import annotations

from collections.abc import Iterable

from shopstream.core import Offset
from shopstream.events import Message
from shopstream.log import Fanout


class Counter:
    def __init__(self, name: str) -> None:
        self.name = name
        self.offset = Offset(0)
        self.seen = 0

    def apply(self, events: Iterable[tuple[Offset, Message]]) -> None:
        for offset, _ in events:
            if offset > self.offset:
                self.offset, self.seen = offset, self.seen + 1

    def dump(self) -> bytes:
        return b"%d,%d" % (self.offset, self.seen)

    def load(self, state: bytes) -> None:
        offset, seen = state.split(b",")
        self.offset, self.seen = Offset(int(offset)), int(seen)


def test_a_part_added_after_the_save_starts_empty() -> None:
    old = Fanout("state", [Counter("a")])
    old.parts[0].load(b"7,7")
    saved = old.dump()
    new = Fanout("state", [Counter("a"), Counter("b")])
    new.load(saved)
    a, b = new.parts
    assert (a.offset, b.offset) == (7, 0)
    assert new.offset == 0  # so the consumer replays the log for the new part
