"""Mergeable feature primitives: decayed scores and bounded recent-item lists.

Times are POSIX seconds (floats): a profile keeps thousands fewer objects that way than
with datetimes, and decay arithmetic needs seconds anyway.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass


def decay(value: float, elapsed: float, half_life: float) -> float:
    """``value`` after ``elapsed`` seconds of exponential decay; the future is not decayed."""
    if elapsed <= 0:
        return value
    return value * math.exp2(-elapsed / half_life)


@dataclass(frozen=True, slots=True)
class DecayedScore:
    """A score that halves every half-life, stored as ``(value, as_of)`` and decayed lazily.

    Two scores merge by bringing both to the later ``as_of`` and adding, which equals having
    applied both histories to one score.

    Examples:
        >>> s = DecayedScore().add(4.0, at=0.0, half_life=60.0)
        >>> s.at(120.0, half_life=60.0)
        1.0
        >>> s.merge(DecayedScore(1.0, 60.0), half_life=60.0)
        DecayedScore(value=3.0, as_of=60.0)
    """

    value: float = 0.0
    as_of: float = 0.0

    def at(self, moment: float, half_life: float) -> float:
        return decay(self.value, moment - self.as_of, half_life)

    def add(self, weight: float, at: float, half_life: float) -> DecayedScore:
        # decay() inlined: this runs for most events.
        as_of = self.as_of
        if at >= as_of:
            elapsed = at - as_of
            value = self.value if elapsed <= 0 else self.value * math.exp2(-elapsed / half_life)
            return DecayedScore(value + weight, at)
        elapsed = as_of - at
        late = weight if elapsed <= 0 else weight * math.exp2(-elapsed / half_life)
        return DecayedScore(self.value + late, as_of)

    def merge(self, other: DecayedScore, half_life: float) -> DecayedScore:
        moment = max(self.as_of, other.as_of)
        return DecayedScore(self.at(moment, half_life) + other.at(moment, half_life), moment)


class Affinities:
    """Decayed scores per key (category, brand) sharing one ``as_of``.

    Sharing the clock keeps one number per key instead of a pair; every value is brought to
    the newest event time on update, one multiplication per key. Keys and values are kept
    as a list and a packed array rather than a dict of float objects: less than half the
    memory for the few keys a shopper has. Beyond ``cap`` keys the weakest is dropped.
    """

    __slots__ = ("as_of", "keys", "values")

    def __init__(self, scores: Mapping[str, float] | None = None, as_of: float = 0.0) -> None:
        self.keys: list[str] = list(scores) if scores else []
        self.values = array("d", scores.values()) if scores else array("d")
        self.as_of = as_of

    @property
    def scores(self) -> dict[str, float]:
        """The values as of :attr:`as_of`, by key."""
        return dict(zip(self.keys, self.values, strict=True))

    def _advance(self, moment: float, half_life: float) -> None:
        if moment > self.as_of:
            factor = math.exp2(-(moment - self.as_of) / half_life)
            for index in range(len(self.values)):
                self.values[index] *= factor
            self.as_of = moment

    def _credit(self, key: str, value: float, cap: int) -> None:
        if key in self.keys:
            self.values[self.keys.index(key)] += value
            return
        self.keys.append(key)
        self.values.append(value)
        if len(self.keys) > cap:
            weakest = min(range(len(self.values)), key=self.values.__getitem__)
            del self.keys[weakest]
            del self.values[weakest]

    def add(self, key: str, weight: float, at: float, half_life: float, cap: int) -> None:
        self._advance(at, half_life)
        elapsed = self.as_of - at  # decay() inlined: this runs for most events
        self._credit(key, weight if elapsed <= 0 else weight * math.exp2(-elapsed / half_life), cap)

    def merge(self, other: Affinities, half_life: float, cap: int) -> None:
        self._advance(other.as_of, half_life)
        for key, value in zip(other.keys, other.values, strict=True):
            self._credit(key, decay(value, self.as_of - other.as_of, half_life), cap)

    def top(self, moment: float, half_life: float, limit: int) -> list[tuple[str, float]]:
        """The strongest keys at ``moment``, best first (ties by key)."""
        factor = math.exp2(-max(0.0, moment - self.as_of) / half_life)
        ranked = sorted(zip(self.keys, self.values, strict=True), key=lambda kv: (-kv[1], kv[0]))
        return [(key, value * factor) for key, value in ranked[:limit]]

    def __len__(self) -> int:
        return len(self.keys)


class RecentItems:
    """The last ``n`` distinct items, newest first, each with the time it was last seen."""

    __slots__ = ("ids", "times")

    def __init__(self, ids: list[str] | None = None, times: list[float] | None = None) -> None:
        self.ids: list[str] = ids if ids is not None else []
        self.times = array("d", times or ())

    def add(self, item: str, at: float, limit: int) -> None:
        ids, times = self.ids, self.times
        if item in ids:
            index = ids.index(item)
            if times[index] >= at:
                return
            del ids[index]
            del times[index]
        index, count = 0, len(times)
        while index < count and times[index] > at:
            index += 1
        if index >= limit:
            return
        ids.insert(index, item)
        times.insert(index, at)
        if count >= limit:  # one too many now
            del ids[limit:]
            del times[limit:]

    def merge(self, other: RecentItems, limit: int) -> None:
        for item, at in other:
            self.add(item, at, limit)

    def __iter__(self) -> Iterator[tuple[str, float]]:
        return zip(self.ids, self.times, strict=True)

    def __len__(self) -> int:
        return len(self.ids)
