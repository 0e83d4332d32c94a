"""Judging flags against the truth: first entries into a period's top, lead times, precision.

- An **entry** is a key in a period's top ``top_k`` (by weighted count in that period) that
  was in no earlier period's top. Entries in the warm-up periods are not judged (the top of
  the first periods is all "new"), but they make their keys known.
- A detector **flags** a key at a checkpoint when it passes the detector's thresholds; flags
  of one key within one period count once (at the first checkpoint). Flags of keys already
  known as entries are not predictions of an entry and are left out.
- A flag at time ``t`` in period ``q`` **comes true** when its key first enters the top in
  period ``q .. q + horizon``. **Precision** is the share of flags that came true.
- An entry in period ``p`` is **caught** by the earliest flag of its key in periods
  ``p - horizon .. p``; its **lead time** is the end of ``p`` (when the period's top is
  known) less the flag's time. **Recall** is the share of entries caught.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from shopstream.trends.backtest.replay import Candidate, Replay
from shopstream.trends.rules import TrendKind

Rule = Callable[[Candidate], bool]


@dataclass(frozen=True, slots=True)
class Score:
    """How a detector did over a span of periods, for one kind of key."""

    flags: int
    true_flags: int
    entries: int
    caught: int
    caught_before_period: int  # flagged before the entry's period began
    median_lead_seconds: float | None
    mean_lead_seconds: float | None

    @property
    def precision(self) -> float:
        return self.true_flags / self.flags if self.flags else 0.0

    @property
    def recall(self) -> float:
        return self.caught / self.entries if self.entries else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def entries(replay: Replay, kind: TrendKind) -> dict[str, int]:
    """Each key's first period in the top ``top_k`` (warm-up periods included)."""
    first: dict[str, int] = {}
    for period, counts in enumerate(replay.periods.get(kind, [])):
        top = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[: replay.protocol.top_k]
        for key, _ in top:
            first.setdefault(key, period)
    return first


def judge(replay: Replay, kind: TrendKind, rule: Rule, periods: range) -> Score:
    """Score the flags of ``rule`` and the entries whose periods are in ``periods``.

    ``periods`` must lie after the warm-up; flags are judged when their period is in it and
    at most ``horizon`` periods before its end (so each can still come true in the data).
    """
    horizon = replay.protocol.horizon
    first = entries(replay, kind)
    flags: dict[tuple[str, int], float] = {}
    for candidate in replay.candidates.get(kind, []):
        if not rule(candidate):
            continue
        at = replay.checks[candidate.check]
        period = replay.period_of(at - 1e-6)  # a checkpoint at a boundary closes the period before
        flags.setdefault((candidate.key, period), at)
    judged_flags = 0
    true_flags = 0
    earliest: dict[str, float] = {}
    for (key, period), at in flags.items():
        entry = first.get(key)
        if entry is not None and entry < period:
            continue  # already known to be top: not a prediction of an entry
        if period in periods and period + horizon < periods.stop:
            judged_flags += 1
            if entry is not None and entry <= period + horizon:
                true_flags += 1
        if entry is not None and entry - horizon <= period <= entry:
            earliest[key] = min(at, earliest.get(key, math.inf))
    judged = [key for key, period in first.items() if period in periods]
    leads = [replay.end_of(first[key]) - earliest[key] for key in judged if key in earliest]
    before = sum(
        1 for key in judged if key in earliest and earliest[key] <= replay.end_of(first[key] - 1)
    )
    return Score(
        flags=judged_flags,
        true_flags=true_flags,
        entries=len(judged),
        caught=len(leads),
        caught_before_period=before,
        median_lead_seconds=statistics.median(leads) if leads else None,
        mean_lead_seconds=statistics.fmean(leads) if leads else None,
    )


def emerging_rule(alpha: float, min_count: int) -> Rule:
    return lambda c: c.count >= min_count and c.p_value < alpha


def moving_average_rule(ratio: float, min_count: int) -> Rule:
    return lambda c: c.count >= min_count and c.moving_average_ratio >= ratio


@dataclass(frozen=True, slots=True)
class Tuned:
    """A detector's thresholds chosen on validation, and its scores there and on test."""

    detector: str
    params: dict[str, float]
    validation: Score
    test: Score
    trials: int


def tune(
    kind: TrendKind,
    detector: str,
    grid: Iterable[tuple[dict[str, float], Replay, Rule]],
    validation: range,
    test: range,
) -> Tuned:
    """The thresholds (and the replay they apply to, when a setting of :class:`TrendRules`
    is tuned too) with the best F1 on ``validation`` (ties: fewer flags), scored on ``test``
    as they are: the test periods are never looked at to choose."""
    best: tuple[tuple[float, int], dict[str, float], Replay, Rule, Score] | None = None
    trials = 0
    for params, replay, rule in grid:
        trials += 1
        score = judge(replay, kind, rule, validation)
        rank = (score.f1, -score.flags)
        if best is None or rank > best[0]:
            best = (rank, params, replay, rule, score)
    if best is None:
        msg = "an empty grid"
        raise ValueError(msg)
    _, params, replay, rule, score = best
    return Tuned(detector, params, score, judge(replay, kind, rule, test), trials)
