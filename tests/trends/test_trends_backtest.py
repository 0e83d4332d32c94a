"""The trend backtest: judging by hand-counted cases, and both detectors on a synthetic
market where new products ramp up into the top while the rest is steady noise."""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest

from shopstream.events import EventName
from shopstream.trends import TrendKind, Window
from shopstream.trends.backtest import (
    Candidate,
    Protocol,
    Replay,
    Sighting,
    entries,
    evaluate,
    judge,
)

SMALL = Protocol(
    name="hand", period_seconds=100, check_seconds=10, short=Window.FIVE_MINUTES,
    baseline=Window.HOUR, warmup_periods=1, top_k=1, horizon=1,
)  # fmt: skip


def hand_replay() -> Replay:
    replay = Replay(SMALL, origin=1000.0, complete_periods=4)
    replay.periods = {
        TrendKind.PRODUCT: [Counter(a=5), Counter(b=3, a=1), Counter(a=4), Counter(c=6)]
    }
    replay.checks = [1095.0, 1150.0, 1250.0, 1290.0]
    replay.candidates = {TrendKind.PRODUCT: [
        Candidate(0, "b", 5, 0.001, 9.0),  # in the warm-up: not judged, but catches b
        Candidate(1, "a", 5, 0.001, 9.0),  # a is already known: not a prediction
        Candidate(2, "c", 5, 0.001, 9.0),  # comes true in the next period
        Candidate(3, "d", 5, 0.5, 1.0),  # never enters
        Candidate(3, "c", 9, 0.001, 9.0),  # same key and period: counted once, at 1250
    ]}  # fmt: skip
    return replay


def test_entries_are_first_periods_in_the_top() -> None:
    assert entries(hand_replay(), TrendKind.PRODUCT) == {"a": 0, "b": 1, "c": 3}


def test_judging_counts_flags_entries_and_lead_times_by_hand() -> None:
    score = judge(hand_replay(), TrendKind.PRODUCT, lambda c: True, range(1, 4))
    assert (score.flags, score.true_flags, score.entries, score.caught) == (2, 1, 2, 2)
    assert score.precision == 0.5 and score.recall == 1.0
    assert score.caught_before_period == 2
    # b: flagged at 1095, its period ends at 1200; c: flagged at 1250, its period ends at 1400.
    assert score.median_lead_seconds == pytest.approx((105 + 150) / 2)
    strict = judge(hand_replay(), TrendKind.PRODUCT, lambda c: c.p_value < 0.01, range(1, 4))
    assert (strict.flags, strict.true_flags) == (1, 1)


def market(seed: int = 1) -> list[Sighting]:
    """Three hours of views, minute by minute: 40 steady products (rates 2 to 12 a minute,
    Poisson), and every 20 minutes a new product that ramps from 0.3 to 20 a minute over
    twenty minutes (a trend entering the top 20), plus 40 one-view products a period."""
    rng = random.Random(seed)
    start = 1_700_000_400.0
    steady = {f"s{i}": 2.0 + 10.0 * i / 39 for i in range(40)}
    out: list[Sighting] = []
    for minute in range(180):
        rates = dict(steady)
        for r in range(minute // 20 + 1):
            age = minute - 20 * r
            if age >= 0:
                rates[f"new{r}"] = min(0.3 * math.exp(age * math.log(20 / 0.3) / 20), 20.0)
        for key, rate in rates.items():
            count = _poisson(rng, rate)
            out += [Sighting(start + minute * 60 + rng.uniform(0, 60), key, None, EventName.PRODUCT_VIEWED)
                    for _ in range(count)]  # fmt: skip
        if minute % 10 == 0:
            for j in range(40):
                out.append(
                    Sighting(
                        start + minute * 60 + j,
                        f"fluke{minute}-{j}",
                        None,
                        EventName.PRODUCT_VIEWED,
                    )
                )
    return sorted(out, key=lambda s: s.at)


def _poisson(rng: random.Random, mean: float) -> int:
    count, limit, product = 0, math.exp(-mean), rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def test_the_detector_flags_ramping_products_a_period_ahead_with_few_false_flags() -> None:
    protocol = Protocol(name="synthetic", period_seconds=600, check_seconds=60,
                        short=Window.FIVE_MINUTES, baseline=Window.HOUR, warmup_periods=3,
                        prior_rates=(1 / 24, 2.0))  # fmt: skip
    report = evaluate(market(), protocol)
    ours, plain = report.results["product"]
    assert ours.trials == 2 * len(protocol.alphas) * len(protocol.min_counts)
    assert ours.params["prior_rate_per_hour"] in protocol.prior_rates
    assert ours.detector.startswith("emerging") and plain.detector == "moving average"
    test = ours.test
    assert test.entries >= 3  # the risers of the test periods (one every other period)
    assert test.recall >= 0.75
    assert test.caught_before_period >= test.caught // 2  # flagged before their period began
    assert test.median_lead_seconds is not None and test.median_lead_seconds >= 600
    assert test.precision >= 0.5
    assert plain.test.flags > 0  # the baseline ran on the same replay
    markdown = report.to_markdown()
    assert "| product | emerging (ours) |" in markdown
    assert report.to_json()["results"]["product"][1]["detector"] == "moving average"
