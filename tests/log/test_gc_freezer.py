"""The consumer keeps growing state out of the garbage collector's walks, and lets it back."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from shopstream.log import GcFreezer


@pytest.fixture(autouse=True)
def _thawed() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_it_freezes_every_so_many_events_and_thaws_now_and_then() -> None:
    freezer = GcFreezer(every=10, thaw_every=3)
    freezer.applied(9)
    assert gc.get_freeze_count() == 0
    freezer.applied(1)  # 10 events: first freeze
    first = gc.get_freeze_count()
    assert first > 0
    kept = [[n] for n in range(1000)]  # new tracked objects
    freezer.applied(25)  # 10 more (more than enough): second freeze takes them too
    # Frozen objects that die meanwhile leave the count (threads of earlier tests finish and
    # drop a few), so the new ones are counted with some room.
    assert gc.get_freeze_count() - first >= len(kept) * 0.9
    freezer.applied(10)  # third: thaw, so that frozen cycles can be collected
    assert gc.get_freeze_count() == 0


def test_none_leaves_the_collector_alone() -> None:
    freezer = GcFreezer(None)
    freezer.applied(1_000_000)
    assert gc.get_freeze_count() == 0


@pytest.mark.parametrize(("every", "thaw_every"), [(0, 100), (10, 0)])
def test_nonsense_is_refused(every: int, thaw_every: int) -> None:
    with pytest.raises(ValueError, match="must be at least 1"):
        GcFreezer(every, thaw_every)
