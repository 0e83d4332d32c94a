"""Replay a dataset through :class:`Trends` as the live stream would, and record, at every
checkpoint, what each detector could flag and, per period, the top keys that really were.

Both detectors read the same counters at the same checkpoints, each seeing only the events
before it:

- **emerging** (ours): :meth:`Trends.emerging` (velocity against the key's own baseline,
  traffic-adjusted, with the negative-binomial significance test);
- **moving average** (the plain baseline): the key's count in the short window over its
  average count per short window across the rest of the baseline window.

Candidates are recorded with their count, p-value and both velocities, so thresholds can be
tuned afterwards without replaying again.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tqdm import tqdm

from shopstream.events import EventName, Track
from shopstream.trends.backtest.protocol import Protocol, Sighting
from shopstream.trends.rules import TrendKind, TrendRules
from shopstream.trends.trends import Trends

KINDS = (TrendKind.PRODUCT, TrendKind.CATEGORY)
_NEARLY_ONE = 1.0 - 1e-12
_LINE_EVENTS = frozenset({EventName.ORDER_COMPLETED, EventName.CHECKOUT_STARTED})


@dataclass(frozen=True, slots=True)
class Candidate:
    """A key with at least the smallest ``min_count`` of the grid at a checkpoint."""

    check: int  # index of the checkpoint
    key: str
    count: int
    p_value: float
    moving_average_ratio: float


@dataclass(slots=True)
class Replay:
    """What a backtest judges: candidates per kind, and each period's weighted counts."""

    protocol: Protocol
    origin: float  # start of period 0 (epoch seconds)
    checks: list[float] = field(default_factory=list)  # checkpoint times
    candidates: dict[TrendKind, list[Candidate]] = field(default_factory=dict)
    periods: dict[TrendKind, list[Counter[str]]] = field(default_factory=dict)
    sightings: int = 0
    complete_periods: int = 0  # periods the data covers to their end

    def period_of(self, at: float) -> int:
        return int((at - self.origin) // self.protocol.period_seconds)

    def end_of(self, period: int) -> float:
        return self.origin + (period + 1) * self.protocol.period_seconds


def replay(
    sightings: Sequence[Sighting],
    protocol: Protocol,
    rules: TrendRules | None = None,
    *,
    progress: bool = False,
) -> Replay:
    """Feed ``sightings`` (in time order) to a fresh :class:`Trends`, checking as it goes."""
    rules = rules if rules is not None else TrendRules()
    trends = Trends(rules)
    if not sightings:
        return Replay(protocol, origin=0.0)
    period = protocol.period_seconds
    origin = sightings[0].at // period * period
    result = Replay(protocol, origin=origin)
    kinds = list(KINDS) if any(s.category for s in sightings) else [TrendKind.PRODUCT]
    result.candidates = {kind: [] for kind in kinds}
    result.periods = {kind: [] for kind in kinds}
    next_check = origin + protocol.check_seconds
    fresh = False  # events since the last checkpoint
    floor = min(protocol.min_counts)
    for offset, sighting in enumerate(
        tqdm(sightings, desc=f"replay {protocol.name}", unit=" ev", disable=not progress), start=1
    ):
        while sighting.at >= next_check:
            if fresh:
                _check(trends, result, next_check, floor, sightings[0].at)
                fresh = False
            next_check += protocol.check_seconds
        weight = rules.weights.get(sighting.event)
        if weight is not None:
            index = result.period_of(sighting.at)
            for kind in kinds:
                key = sighting.product_id if kind is TrendKind.PRODUCT else sighting.category
                if key:
                    counts = result.periods[kind]
                    while len(counts) <= index:
                        counts.append(Counter())
                    counts[index][key] += weight
        trends.apply(
            _message(sighting), offset=offset, now=datetime.fromtimestamp(sighting.at, UTC)
        )
        fresh = True
    if fresh:
        _check(trends, result, next_check, floor, sightings[0].at)
    result.sightings = len(sightings)
    result.complete_periods = result.period_of(sightings[-1].at + 1)
    return result


def _check(trends: Trends, result: Replay, at: float, floor: int, first: float) -> None:
    protocol = result.protocol
    short, baseline = protocol.short, protocol.baseline
    now = datetime.fromtimestamp(at, UTC)
    index = len(result.checks)
    result.checks.append(at)
    history = min(baseline.seconds, at - first) - short.seconds
    for kind, found in result.candidates.items():
        emerging = trends.emerging(
            kind, now, short=short, baseline=baseline, min_count=floor, alpha=_NEARLY_ONE, k=1 << 40
        )
        for e in emerging:
            before = trends.count(kind, e.key, baseline, now) - e.count
            average = before * short.seconds / history if history > 0 else 0.0
            ratio = e.count / average if average > 0 else math.inf
            found.append(Candidate(index, e.key, e.count, e.p_value, ratio))


def _message(sighting: Sighting) -> Track:
    moment = datetime.fromtimestamp(sighting.at, UTC)
    line: dict[str, str] = {"product_id": sighting.product_id}
    if sighting.category:
        line["category"] = sighting.category
    properties: dict[str, object] = {"products": [line]} if sighting.event in _LINE_EVENTS else line
    return Track.model_construct(
        event=sighting.event,
        properties=properties,
        timestamp=moment,
        received_at=moment,
        user_id="backtest",
    )
