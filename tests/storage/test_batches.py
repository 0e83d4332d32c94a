"""Writing a batch around the rows the store refuses, for any batch and any refused rows."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from shopstream.storage.batches import write_around_refused


class Away(Exception):
    """The store is away: nothing of the chunk was written."""


class Store:
    """Writes chunks whole or refuses them whole (one transaction), as the real stores do."""

    def __init__(self, bad: set[int], away_at: int | None = None) -> None:
        self.bad, self.away_at = bad, away_at
        self.written: list[int] = []
        self.refused: list[int] = []
        self.calls = 0

    def write(self, chunk: list[int]) -> int:
        self.calls += 1
        if self.calls == self.away_at:
            raise Away
        if self.bad & set(chunk):
            msg = f"refused: {sorted(self.bad & set(chunk))}"
            raise ValueError(msg)
        self.written += chunk
        return len(chunk)

    def drop(self, row: int, error: Exception) -> None:
        assert isinstance(error, ValueError)
        self.refused.append(row)


batches = st.lists(st.integers(0, 10_000), unique=True, max_size=200)


@given(batches, st.data())
def test_every_good_row_is_written_once_in_order_and_only_refused_ones_dropped(
    rows: list[int], data: st.DataObject
) -> None:
    bad = set(data.draw(st.lists(st.sampled_from(rows), max_size=5))) if rows else set()
    store = Store(bad)
    pending = list(rows)
    added = write_around_refused(pending, store.write, store.drop, away=(Away,))
    assert pending == []
    assert store.written == [r for r in rows if r not in bad]
    assert store.refused == [r for r in rows if r in bad]
    assert added == len(store.written)
    # The whole batch once, then two halves for each chunk holding a refused row.
    depth = math.ceil(math.log2(len(rows))) if len(rows) > 1 else 0
    assert store.calls <= 1 + 2 * len(bad) * depth


@given(batches, st.data())
def test_the_store_going_away_leaves_what_is_not_settled_for_the_next_attempt(
    rows: list[int], data: st.DataObject
) -> None:
    bad = set(data.draw(st.lists(st.sampled_from(rows), max_size=5))) if rows else set()
    store = Store(bad, away_at=data.draw(st.integers(1, 12)))
    pending = list(rows)
    try:
        write_around_refused(pending, store.write, store.drop, away=(Away,))
    except Away:
        settled = len(rows) - len(pending)
        assert sorted(store.written + store.refused) == sorted(rows[:settled])
        assert pending == rows[settled:]
    write_around_refused(pending, store.write, store.drop, away=(Away,))  # back
    assert store.written == [r for r in rows if r not in bad]  # each once, in order
    assert store.refused == [r for r in rows if r in bad]
