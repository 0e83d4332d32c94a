"""Sliding-window counters: per key, every window's count in one small array of ints.

Tiers. Window ``j`` (5m, 1h, 1d, 7d) is cut into ``n_j`` buckets of ``b_j`` seconds
(10 s, 1 min, 15 min, 2 h by default); every width divides the next. Its count at time ``t``
is the sum of the last ``n_j`` buckets, the current, partial one included, so it covers
between ``span - b_j`` and ``span`` seconds.

Cells. An event lives in exactly one *cell* ``(bucket, count)``: it enters the finest tier
whose window still covers it, and when a cell falls out of its tier's window it is *folded*
into the next tier (its bucket index divided by the ratio of the widths) or, from the last
tier, dropped. So a cell in tier ``j`` is outside every window shorter than ``j``, and the
count of window ``w`` is the sum of the cells of tiers ``0..w`` whose bucket, seen at width
``b_w``, is one of the window's ``n_w`` buckets: exactly a ring of ``n_w`` buckets of
``b_w`` seconds, while an event costs one cell instead of one per window, and a key seen once
costs one cell in all.

Rows. A key's cells live in one ``array('I')`` (``'Q'`` once a count outgrows 32 bits)::

    [stamp, n_0 .. n_{T-1}, u_0 .. u_{T-1}, buckets of tier 0, counts of tier 0, ...]

``stamp`` is the tier-0 bucket of the head (the latest processing time) when the row was last
folded; ``n_j`` counts the cells of tier ``j``; ``u_j`` is the sum of the cells of tiers
``0..j``, an upper bound of window ``j``'s count that lets :meth:`WindowedCounter.top` skip
exact counts for most keys. Bucket indices are absolute (tier-``j`` buckets since the epoch)
and ascending within a tier. Folding is lazy: a row is folded when it is touched under a new
head, so an update is O(1) amortised (each cell is folded at most once per tier).

The counter's dict of rows is kept in stamp order (a touched row moves to the end), so the
keys touched since a time are a suffix of it, and the keys to expire a prefix.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterator, Mapping, Sequence
from heapq import heapify, heappop
from typing import TypeAlias

from shopstream.trends.rules import Layout

Row: TypeAlias = "array[int]"  # typecode 'I' or 'Q'; see the module docstring for the layout
_LIMIT = 1 << 32  # rows are array('I') until their total reaches this


class WindowedCounter:
    """Weighted counts per key in every window, with O(1) amortised updates.

    Times are tier-0 bucket indices (``int(seconds) // bucket_seconds[0]``); the caller passes
    the *head*, the tier-0 bucket of its clock, which never goes back.

    Examples:
        >>> from shopstream.trends import TrendRules
        >>> counter = WindowedCounter(TrendRules().layout)
        >>> counter.add("p1", at=100, weight=3, head=100)
        >>> counter.add("p1", at=130, weight=1, head=130)
        >>> counter.count("p1", 0, head=130), counter.count("p1", 1, head=130)
        (1, 4)
    """

    __slots__ = ("_bounds", "_fresh", "_header", "_layout", "_recent", "_rows", "_total")

    def __init__(self, layout: Layout) -> None:
        self._layout = layout
        self._rows: dict[str, Row] = {}
        tiers = len(layout.cells)
        self._header = 1 + 2 * tiers
        self._fresh = array("I", [0] * self._header)
        self._bounds = range(1 + tiers, 1 + 2 * tiers)
        self._total = 2 * tiers  # u of the last tier: the largest int of a row
        self._recent = layout.cells[0]

    # -- writes ---------------------------------------------------------------------------

    def add(self, key: str, *, at: int, weight: int, head: int) -> None:
        """Count ``weight`` for ``key`` at tier-0 bucket ``at`` (``at <= head``).

        An event older than the longest window is not counted.
        """
        row = self._rows.get(key)
        if row is not None and row[0] == head:
            # The common case: the latest cell of a row already folded under this head.
            n = row[1]
            last = self._header + n - 1
            if n and row[last] == at and row[self._total] + weight < _LIMIT:
                row[last + n] += weight
                for bound in self._bounds:
                    row[bound] += weight
                return
        tier = 0 if at > head - self._recent else self._tier_of(at, head)
        if tier is None:
            return
        if row is None:
            row = self._rows[key] = array("I", self._fresh)
            row[0] = head
        elif row[0] != head:
            del self._rows[key]
            self._rows[key] = row
            _fold(row, self._layout, head)
            row[0] = head
        if row[self._total] + weight >= _LIMIT and row.typecode == "I":
            self._rows[key] = row = array("Q", row)
        if tier:
            start = _segment(row, len(self._layout.cells), tier)
            _place(row, start, tier, at // self._layout.multiples[tier], weight)
        else:
            _place(row, self._header, 0, at, weight)
        for bound in self._bounds[tier:]:
            row[bound] += weight

    def _tier_of(self, at: int, head: int) -> int | None:
        for tier, (multiple, cells) in enumerate(
            zip(self._layout.multiples, self._layout.cells, strict=True)
        ):
            if at // multiple > head // multiple - cells:
                return tier
        return None

    def merge(self, other: WindowedCounter, *, head: int) -> None:
        """Add every count of ``other`` into this counter; ``head`` is the later of the two."""
        layout = self._layout
        for key, theirs in other._rows.items():
            theirs = array(theirs.typecode, theirs)
            _fold(theirs, layout, head)
            mine = self._rows.get(key)
            if mine is None:
                self._rows[key] = theirs
                continue
            _fold(mine, layout, head)
            mine = self._rows[key] = array("Q", mine)
            _add_row(mine, theirs, layout)
            mine[0] = max(mine[0], theirs[0])
            self._rows[key] = array("I", mine) if mine[self._total] < _LIMIT else mine
        self._rows = dict(sorted(self._rows.items(), key=lambda item: (item[1][0], item[0])))

    def expire(self, head: int) -> list[str]:
        """Drop the keys with nothing left in the longest window, and return them."""
        last = len(self._layout.cells) - 1
        multiple, cells = self._layout.multiples[last], self._layout.cells[last]
        oldest = (head // multiple - cells + 1) * multiple
        stale = []
        for key, row in self._rows.items():
            if row[0] >= oldest:
                break
            stale.append(key)
        for key in stale:
            del self._rows[key]
        return stale

    def evict(self, max_keys: int) -> list[str]:
        """Drop the least recently touched keys until at most ``max_keys`` remain, and return
        them: the memory bound for a stream with more live keys than the box can hold."""
        excess = len(self._rows) - max_keys
        if excess <= 0:
            return []
        stale = [key for key, _ in zip(self._rows, range(excess), strict=False)]
        for key in stale:
            del self._rows[key]
        return stale

    # -- reads ----------------------------------------------------------------------------

    def count(self, key: str, tier: int, *, head: int) -> int:
        """The count of ``key`` in window ``tier`` at ``head`` (which must not be older
        than the counter's latest head)."""
        row = self._rows.get(key)
        return 0 if row is None else _count(row, self._layout, tier, head)[0]

    def span(self, key: str, tier: int, *, head: int) -> tuple[int, int | None]:
        """The count of ``key`` in window ``tier``, and the tier-0 bucket where its oldest
        cell in the window begins (``None`` when the count is 0)."""
        row = self._rows.get(key)
        return (0, None) if row is None else _count(row, self._layout, tier, head)

    def touched(self, tier: int, *, head: int) -> Iterator[tuple[str, int]]:
        """``(key, bound)`` for the keys that may count in window ``tier``, latest first;
        ``bound`` is at least the key's count."""
        start = self.window_start(tier, head)
        offset = 1 + len(self._layout.cells) + tier
        rows = self._rows
        for key in reversed(rows):
            row = rows[key]
            if row[0] < start:
                return
            bound = row[offset]
            if bound:
                yield key, bound

    def window_start(self, tier: int, head: int) -> int:
        """The first tier-0 bucket of window ``tier`` at ``head``."""
        multiple = self._layout.multiples[tier]
        return (head // multiple - self._layout.cells[tier] + 1) * multiple

    def top(
        self, tier: int, *, head: int, k: int, accept: Callable[[str], bool] | None = None
    ) -> list[tuple[str, int]]:
        """The ``k`` keys with the largest counts in window ``tier``, ties by key.

        Keys are visited by their upper bound ``u`` and counted exactly only while one could
        still enter the top ``k`` (a threshold algorithm), so most keys cost one comparison.
        """
        if k <= 0:
            return []
        bounds = [(-bound, key) for key, bound in self.touched(tier, head=head)]
        if accept is not None:
            bounds = [entry for entry in bounds if accept(entry[1])]
        heapify(bounds)
        best: list[tuple[int, str]] = []
        while bounds:
            entry = heappop(bounds)
            if len(best) == k and entry > best[-1]:
                break
            key = entry[1]
            exact = (-_count(self._rows[key], self._layout, tier, head)[0], key)
            if exact[0] and (len(best) < k or exact < best[-1]):
                insort(best, exact)
                del best[k:]
        return [(key, -negated) for negated, key in best]

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    # -- snapshots ------------------------------------------------------------------------

    def to_rows(self) -> list[list[str | list[int]]]:
        """``[key, row]`` pairs in stamp order (then key order), JSON-able and canonical."""
        ordered = sorted(self._rows.items(), key=lambda item: (item[1][0], item[0]))
        return [[key, row.tolist()] for key, row in ordered]

    @classmethod
    def from_rows(cls, layout: Layout, rows: Sequence[Sequence[object]]) -> WindowedCounter:
        """The inverse of :meth:`to_rows`; raises ``ValueError``/``TypeError`` if malformed."""
        counter = cls(layout)
        header = 1 + 2 * len(layout.cells)
        loaded: list[tuple[str, Row]] = []
        for key, values in rows:
            if not isinstance(key, str) or not isinstance(values, list):
                msg = f"a row must be [key, [ints...]]; got {[key, values]!r}"
                raise TypeError(msg)
            row = array("I" if max(values, default=0) < _LIMIT else "Q", values)
            cells = sum(row[1 : 1 + len(layout.cells)])
            if len(row) != header + 2 * cells:
                msg = f"row of {key!r} has {len(row)} ints; its header says {header + 2 * cells}"
                raise ValueError(msg)
            loaded.append((key, row))
        counter._rows = dict(sorted(loaded, key=lambda item: (item[1][0], item[0])))
        return counter

    def as_dict(self) -> Mapping[str, Row]:
        """The rows by key (read-only use: memory measurements, tests)."""
        return self._rows


# -- rows -----------------------------------------------------------------------------------


def _segment(row: Row, tiers: int, tier: int) -> int:
    start = 1 + 2 * tiers
    for j in range(1, 1 + tier):
        start += 2 * row[j]
    return start


def _insert(row: Row, layout: Layout, tier: int, bucket: int, weight: int) -> None:
    """Add ``weight`` to the cell ``bucket`` of ``tier``, creating it if needed."""
    tiers = len(layout.cells)
    _place(row, _segment(row, tiers, tier), tier, bucket, weight)
    for j in range(1 + tiers + tier, 1 + 2 * tiers):
        row[j] += weight


def _place(row: Row, start: int, tier: int, bucket: int, weight: int) -> None:
    """:func:`_insert` without the bounds ``u_j`` (cells moving between tiers keep them)."""
    n = row[1 + tier]
    end = start + n
    if n and row[end - 1] == bucket:
        row[end - 1 + n] += weight
        return
    i = bisect_left(row, bucket, start, end)
    if i < end and row[i] == bucket:
        row[i + n] += weight
        return
    row.insert(i, bucket)
    row.insert(i + n + 1, weight)
    row[1 + tier] = n + 1


def _fold(row: Row, layout: Layout, head: int) -> None:
    """Move the cells that left their tier's window to the finest tier that still covers
    them, or drop them when none does.

    Only the tiers whose bucket changed since the row's stamp can hold such cells: a tier
    whose bucket did not change has not moved its window, nor has any coarser tier.
    """
    tiers = len(layout.cells)
    multiples, cells = layout.multiples, layout.cells
    stamp = row[0]
    start = 1 + 2 * tiers
    for tier in range(tiers):
        multiple = multiples[tier]
        if stamp // multiple == head // multiple:
            return
        n = row[1 + tier]
        threshold = head // multiple - cells[tier]
        if n and row[start] <= threshold:
            stale = bisect_right(row, threshold, start, start + n) - start
            buckets = row[start : start + stale]
            counts = row[start + n : start + n + stale]
            del row[start + n : start + n + stale]
            del row[start : start + stale]
            n -= stale
            row[1 + tier] = n
            for bucket, count in zip(buckets, counts, strict=True):
                at = bucket * multiple
                target = tier + 1
                while target < tiers and at // multiples[target] <= (
                    head // multiples[target] - cells[target]
                ):
                    target += 1
                for bound in range(1 + tiers + tier, 1 + tiers + min(target, tiers)):
                    row[bound] -= count  # the cell leaves tiers tier..target-1
                if target < tiers:
                    segment = _segment(row, tiers, target)
                    _place(row, segment, target, at // multiples[target], count)
        start += 2 * n


def _count(row: Row, layout: Layout, tier: int, head: int) -> tuple[int, int | None]:
    """The count of window ``tier`` at ``head`` and the tier-0 start of its oldest cell."""
    tiers = len(layout.cells)
    multiples = layout.multiples
    first = head // multiples[tier] - layout.cells[tier] + 1
    total, oldest = 0, None
    start = 1 + 2 * tiers
    for j in range(tier + 1):
        n = row[1 + j]
        if n:
            i = bisect_left(row, first * (multiples[tier] // multiples[j]), start, start + n)
            if i < start + n:
                total += sum(row[i + n : start + 2 * n])
                begins = row[i] * multiples[j]
                oldest = begins if oldest is None else min(oldest, begins)
        start += 2 * n
    return total, oldest


def _add_row(mine: Row, theirs: Row, layout: Layout) -> None:
    """Add every cell of ``theirs`` into ``mine``; both folded at the same head."""
    tiers = len(layout.cells)
    start = 1 + 2 * tiers
    for tier in range(tiers):
        n = theirs[1 + tier]
        for i in range(start, start + n):
            _insert(mine, layout, tier, theirs[i], theirs[i + n])
        start += 2 * n
