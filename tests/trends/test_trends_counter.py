from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from shopstream.trends import WINDOWS, TrendRules, WindowedCounter

LAYOUT = TrendRules().layout  # tiers of 10 s, 1 min, 15 min, 2 h buckets; windows 5m 1h 1d 7d
START = 178_000_560  # a tier-0 bucket (10 s) in 2026, a multiple of every tier's width (720)
TIERS = range(len(WINDOWS))


@dataclass(frozen=True)
class Add:
    key: str
    at: int  # tier-0 bucket of the event
    weight: int
    head: int  # tier-0 bucket of the clock when it was applied


def expected(adds: list[Add], key: str, tier: int, head: int) -> int:
    """Brute force: the events of ``key`` whose tier bucket is one of the window's last n."""
    multiple, cells = LAYOUT.multiples[tier], LAYOUT.cells[tier]
    return sum(
        a.weight
        for a in adds
        if a.key == key and a.at // multiple > head // multiple - cells and not too_old(a)
    )


def too_old(add: Add) -> bool:
    multiple, cells = LAYOUT.multiples[-1], LAYOUT.cells[-1]
    return add.at // multiple <= add.head // multiple - cells


def feed(counter: WindowedCounter, adds: list[Add]) -> None:
    for a in adds:
        counter.add(a.key, at=a.at, weight=a.weight, head=a.head)


@st.composite
def streams(draw: st.DrawFn, max_size: int = 60) -> list[Add]:
    """Adds with a clock that moves forward by jumps of seconds to days, and events that are
    mostly on time, sometimes late, sometimes older than the longest window."""
    head = START
    adds = []
    for _ in range(draw(st.integers(0, max_size))):
        head += draw(st.sampled_from([0, 0, 1, 3, 6, 30, 90, 360, 8_640, 60_480]))
        head += draw(st.integers(0, 5))
        lateness = draw(
            st.one_of(st.just(0), st.integers(0, 40), st.integers(0, 70_000), st.just(60_480))
        )
        key = draw(st.sampled_from(["a", "b", "c", "d"]))
        adds.append(Add(key, head - lateness, draw(st.integers(1, 5)), head))
    return adds


def query_heads(adds: list[Add]) -> list[int]:
    last = adds[-1].head if adds else START
    return [last, last + 1, last + 29, last + 30, last + 400, last + 8_700, last + 60_000]


# -- windows ----------------------------------------------------------------------------------


def test_a_count_leaves_each_window_when_its_last_bucket_does() -> None:
    counter = WindowedCounter(LAYOUT)
    counter.add("p", at=START, weight=2, head=START)
    assert [counter.count("p", t, head=START) for t in TIERS] == [2, 2, 2, 2]
    # 5 minutes are 30 buckets of 10 s: still in at bucket 29, gone at 30.
    assert counter.count("p", 0, head=START + 29) == 2
    assert counter.count("p", 0, head=START + 30) == 0
    # 1 hour is 60 buckets of 1 minute (6 tier-0 buckets each).
    assert counter.count("p", 1, head=START + 6 * 60 - 1) == 2
    assert counter.count("p", 1, head=START + 6 * 60) == 0
    assert counter.count("p", 2, head=START + 90 * 96 - 1) == 2
    assert counter.count("p", 2, head=START + 90 * 96) == 0
    assert counter.count("p", 3, head=START + 720 * 84 - 1) == 2
    assert counter.count("p", 3, head=START + 720 * 84) == 0


def test_folded_cells_still_count_at_their_window_granularity() -> None:
    counter = WindowedCounter(LAYOUT)
    counter.add("p", at=START, weight=1, head=START)
    counter.add("p", at=START + 5, weight=1, head=START + 5)  # same minute, another 10 s
    later = START + 40  # the first cells left the 5-minute window: the touch folds them
    counter.add("p", at=later, weight=4, head=later)
    assert counter.count("p", 0, head=later) == 4
    assert counter.count("p", 1, head=later) == 6
    row = counter.as_dict()["p"]
    assert list(row[1:5]) == [1, 1, 0, 0]  # one cell left in tier 0, one (merged) in tier 1
    assert list(row[5:9]) == [4, 6, 6, 6]  # the bounds u_j


def test_late_events_land_in_the_finest_tier_that_still_covers_them() -> None:
    counter = WindowedCounter(LAYOUT)
    head = START + 100_000
    counter.add("p", at=head - 100, weight=1, head=head)  # 1000 s ago: outside 5m, inside 1h
    assert [counter.count("p", t, head=head) for t in TIERS] == [0, 1, 1, 1]
    assert list(counter.as_dict()["p"][1:5]) == [0, 1, 0, 0]


def test_events_older_than_the_longest_window_are_not_counted() -> None:
    counter = WindowedCounter(LAYOUT)
    head = START + 100_000
    counter.add("p", at=head - 60_480, weight=1, head=head)
    assert "p" not in counter
    assert counter.count("p", 3, head=head) == 0


def test_a_key_seen_once_costs_one_cell() -> None:
    counter = WindowedCounter(LAYOUT)
    counter.add("p", at=START, weight=1, head=START)
    row = counter.as_dict()["p"]
    assert row.typecode == "I"
    assert len(row) == 1 + 2 * len(WINDOWS) + 2


def test_counts_outgrowing_32_bits_widen_the_row() -> None:
    counter = WindowedCounter(LAYOUT)
    counter.add("p", at=START, weight=2**32 - 1, head=START)
    counter.add("p", at=START, weight=5, head=START)
    assert counter.as_dict()["p"].typecode == "Q"
    assert counter.count("p", 3, head=START) == 2**32 + 4


# -- expiry -----------------------------------------------------------------------------------


def test_expire_drops_only_keys_with_nothing_in_the_longest_window() -> None:
    counter = WindowedCounter(LAYOUT)
    counter.add("old", at=START, weight=1, head=START)
    counter.add("new", at=START + 50_000, weight=1, head=START + 50_000)
    assert counter.expire(START + 60_479) == []
    assert counter.expire(START + 60_480) == ["old"]
    assert list(counter.as_dict()) == ["new"]


# -- ranking ----------------------------------------------------------------------------------


def test_top_ranks_by_count_then_key_and_skips_keys_outside_the_window() -> None:
    counter = WindowedCounter(LAYOUT)
    for key, weight in [("a", 3), ("b", 5), ("c", 3), ("d", 1)]:
        counter.add(key, at=START, weight=weight, head=START)
    counter.add("e", at=START + 40, weight=2, head=START + 40)
    assert counter.top(1, head=START + 40, k=3) == [("b", 5), ("a", 3), ("c", 3)]
    assert counter.top(0, head=START + 40, k=3) == [("e", 2)]
    assert counter.top(1, head=START + 40, k=9, accept=lambda key: key in "de") == [
        ("e", 2),
        ("d", 1),
    ]
    assert counter.top(1, head=START + 40, k=0) == []


@given(streams())
@settings(max_examples=150, deadline=None)
def test_window_counts_equal_a_brute_force_count(adds: list[Add]) -> None:
    counter = WindowedCounter(LAYOUT)
    feed(counter, adds)
    for head in query_heads(adds):
        for tier in TIERS:
            for key in "abcd":
                assert counter.count(key, tier, head=head) == expected(adds, key, tier, head)


@given(streams(), st.integers(1, 4))
@settings(max_examples=100, deadline=None)
def test_top_equals_sorting_brute_force_counts(adds: list[Add], k: int) -> None:
    counter = WindowedCounter(LAYOUT)
    feed(counter, adds)
    for head in query_heads(adds):
        for tier in TIERS:
            counts = {key: expected(adds, key, tier, head) for key in "abcd"}
            ranked = sorted(((-c, key) for key, c in counts.items() if c), key=lambda e: e)
            assert counter.top(tier, head=head, k=k) == [(key, -c) for c, key in ranked[:k]]
            for key, bound in counter.touched(tier, head=head):
                assert bound >= counts[key]


@given(streams(), st.lists(st.booleans(), min_size=60, max_size=60))
@settings(max_examples=100, deadline=None)
def test_merging_two_counters_equals_counting_everything_in_one(
    adds: list[Add], sides: list[bool]
) -> None:
    one, left, right = (WindowedCounter(LAYOUT) for _ in range(3))
    feed(one, adds)
    feed(left, [a for a, side in zip(adds, sides, strict=False) if side])
    feed(right, [a for a, side in zip(adds, sides, strict=False) if not side])
    last = adds[-1].head if adds else START
    left.merge(right, head=last)
    for head in query_heads(adds):
        for tier in TIERS:
            for key in "abcd":
                assert left.count(key, tier, head=head) == one.count(key, tier, head=head)
    stamps = [row[0] for row in left.as_dict().values()]
    assert stamps == sorted(stamps)


@given(streams())
@settings(max_examples=100, deadline=None)
def test_rows_round_trip(adds: list[Add]) -> None:
    counter = WindowedCounter(LAYOUT)
    feed(counter, adds)
    again = WindowedCounter.from_rows(LAYOUT, counter.to_rows())
    assert again.to_rows() == counter.to_rows()
    for head in query_heads(adds):
        for tier in TIERS:
            for key in "abcd":
                assert again.count(key, tier, head=head) == counter.count(key, tier, head=head)
