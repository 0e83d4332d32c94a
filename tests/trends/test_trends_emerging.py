from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shopstream.core import StoreId
from shopstream.events import Message, parse_message
from shopstream.trends import TrendKind, TrendRules, Trends, Window, WindowedCounter
from shopstream.trends.emerging import SQUARED_WEIGHT, WEIGHT, rank
from shopstream.trends.significance import incomplete_beta, negative_binomial_sf, z_score

RULES = TrendRules()
END = 1_780_005_600  # a multiple of every bucket width (2 h): the short window is one hour
NOW = END - 1


# -- the tail functions -------------------------------------------------------------------------


@pytest.mark.parametrize("a", [1, 2, 5, 30])
@pytest.mark.parametrize("b", [1, 3, 12, 200])
@pytest.mark.parametrize("x", [0.001, 0.05, 0.3, 0.5, 0.9, 0.999])
def test_incomplete_beta_equals_the_binomial_tail(a: int, b: int, x: float) -> None:
    # For integers, I_x(a, b) = P(Binomial(a + b - 1, x) >= a).
    n = a + b - 1
    exact = math.fsum(math.comb(n, j) * x**j * (1 - x) ** (n - j) for j in range(a, n + 1))
    assert incomplete_beta(a, b, x) == pytest.approx(exact, rel=1e-9, abs=1e-300)


@pytest.mark.parametrize(("shape", "q"), [(0.04, 0.5), (1.0, 0.2), (3.5, 0.03), (250.0, 0.004)])
@pytest.mark.parametrize("x", [1, 2, 5, 20])
def test_negative_binomial_tail_equals_summing_its_mass(shape: float, q: float, x: int) -> None:
    def mass(k: int) -> float:
        log = math.lgamma(k + shape) - math.lgamma(k + 1) - math.lgamma(shape)
        return math.exp(log + shape * math.log1p(-q) + k * math.log(q))

    assert negative_binomial_sf(x, shape, q) == pytest.approx(
        1 - math.fsum(map(mass, range(x))), rel=1e-7
    )
    assert negative_binomial_sf(0, shape, q) == 1.0


def test_z_is_the_normal_quantile_of_the_p_value() -> None:
    assert z_score(0.05) == pytest.approx(1.6449, abs=1e-4)
    assert z_score(0.5) == pytest.approx(0.0, abs=1e-12)
    assert math.isfinite(z_score(0.0)) and math.isfinite(z_score(1.0))


def test_incomplete_beta_refuses_shapes_that_are_not_positive() -> None:
    with pytest.raises(ValueError, match="a > 0 and b > 0"):
        incomplete_beta(0.0, 1.0, 0.5)


# -- the test on simulated traffic --------------------------------------------------------------


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method, in pieces so that exp(-mean) does not underflow."""
    count = 0
    while mean > 0:
        piece = min(mean, 30.0)
        mean -= piece
        limit, product = math.exp(-piece), rng.random()
        while product > limit:
            count += 1
            product *= rng.random()
    return count


@dataclass
class Market:
    counter: WindowedCounter
    tally: WindowedCounter
    rates: list[float]  # events an hour per key, key i is f"k{i}"

    def emerging(self, *, alpha: float, min_count: int = 1) -> set[str]:
        found = rank(
            self.counter,
            self.tally,
            short=Window.HOUR,
            baseline=Window.WEEK,
            now=NOW,
            rules=RULES,
            min_count=min_count,
            alpha=alpha,
            k=len(self.rates),
        )
        assert [e.lift for e in found] == sorted((e.lift for e in found), reverse=True)
        return {e.key for e in found}


def market(
    *,
    keys: int = 1000,
    surging: int = 0,
    last_hour: float = 1.0,
    weighted: bool = False,
    seed: int = 7,
) -> Market:
    """A week and an hour of Poisson traffic, hour by hour, on keys with rates from 0.2 to 20
    an hour. The first ``surging`` keys go 5x in the last hour; every key is multiplied by
    ``last_hour`` then (a wave of traffic). Weighted: views 1 (80%), adds 3, orders 5."""
    rng = random.Random(seed)
    counter, tally = WindowedCounter(RULES.layout), WindowedCounter(RULES.layout)
    rates = [math.exp(rng.uniform(math.log(0.2), math.log(20.0))) for _ in range(keys)]
    for hours_ago in range(169, 0, -1):
        at = (END - hours_ago * 3600 + 1800) // 10
        for i, rate in enumerate(rates):
            factor = (5.0 if i < surging else 1.0) * last_hour if hours_ago == 1 else 1.0
            events = poisson(rng, rate * factor)
            weights = [
                1 if u < 0.8 else 3 if u < 0.95 else 5
                for u in (rng.random() if weighted else 0.0 for _ in range(events))
            ]
            if weights:
                counter.add(f"k{i}", at=at, weight=sum(weights), head=at)
                tally.add(WEIGHT, at=at, weight=sum(weights), head=at)
                tally.add(SQUARED_WEIGHT, at=at, weight=sum(w * w for w in weights), head=at)
    return Market(counter, tally, rates)


def test_stationary_poisson_noise_fires_at_about_alpha() -> None:
    quiet = market()
    # The count is discrete and the baseline uncertain, so the test is a little conservative.
    assert 0.015 <= len(quiet.emerging(alpha=0.05)) / 1000 <= 0.06
    assert len(quiet.emerging(alpha=0.01)) / 1000 <= 0.015


def test_weighted_counts_do_not_inflate_false_positives() -> None:
    # A weighted sum of Poisson events is overdispersed; dividing by Σw²/Σw corrects it.
    quiet = market(weighted=True, seed=11)
    assert 0.01 <= len(quiet.emerging(alpha=0.05)) / 1000 <= 0.06


def test_a_wave_of_traffic_is_not_a_trend() -> None:
    rush = market(last_hour=2.0, seed=13)  # every key doubles: the evening rush
    assert len(rush.emerging(alpha=0.05)) / 1000 <= 0.06


def test_a_five_fold_surge_fires_and_ranks_first() -> None:
    surge = market(surging=20, seed=17)
    found = surge.emerging(alpha=0.01, min_count=5)
    surging = {f"k{i}" for i in range(20)}
    assert {f"k{i}" for i in range(20) if surge.rates[i] >= 5.0} <= found
    detectable = [f"k{i}" for i in range(20) if surge.rates[i] >= 2.0]
    assert sum(key in found for key in detectable) >= 0.85 * len(detectable)
    assert len(found - surging) <= 0.015 * 980


# -- through Trends -----------------------------------------------------------------------------

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def view(product_id: str, at: datetime, **props: Any) -> Message:
    raw = {
        "type": "track",
        "anonymousId": "a1",
        "event": "Product Viewed",
        "properties": {"product_id": product_id, **props},
        "timestamp": at.isoformat(),
    }
    return parse_message(raw, source="test", received_at=at)


def week_of_views(products: int = 100, hours: int = 24 * 7 + 1, **props: Any) -> list[Message]:
    """One view an hour of each product, for a week and an hour."""
    return [
        view(f"p{p}", T0 + timedelta(hours=hour, seconds=36 * p), category="Home/Kitchen", **props)
        for hour in range(hours)
        for p in range(products)
    ]


def burst(product_id: str, n: int, **props: Any) -> list[Message]:
    """``n`` views of a product in the last 50 minutes of :func:`week_of_views`."""
    start = T0 + timedelta(days=7)
    return [view(product_id, start + timedelta(minutes=i * 50 / n), **props) for i in range(n)]


def feed(trends: Trends, messages: list[Message]) -> datetime:
    ordered = sorted(messages, key=lambda m: m.received_at or T0)
    for offset, message in enumerate(ordered, 1):
        assert message.received_at is not None
        trends.apply(message, offset=offset, now=message.received_at)
    return trends.clock or T0


def test_a_product_surging_in_a_steady_catalogue_emerges() -> None:
    trends = Trends()
    now = feed(trends, week_of_views() + burst("p3", 12, category="Home/Kitchen"))
    found = trends.emerging(TrendKind.PRODUCT, now)
    assert [e.key for e in found] == ["p3"]
    assert found[0].count == 13 and found[0].lift > 5 and found[0].z > 3
    assert [e.key for e in trends.emerging(TrendKind.PRODUCT, now, category="Home")] == ["p3"]
    assert trends.emerging(TrendKind.PRODUCT, now, category="Toys") == []
    steady = trends.score(TrendKind.PRODUCT, "p5", now)
    assert steady.count == 1 and steady.expected == pytest.approx(1, rel=0.15)
    assert steady.p_value > 0.3


def test_a_new_product_needs_min_count_to_emerge() -> None:
    trends = Trends()
    now = feed(trends, week_of_views() + burst("new", 6))
    assert [e.key for e in trends.emerging(TrendKind.PRODUCT, now, min_count=5)] == ["new"]
    assert trends.emerging(TrendKind.PRODUCT, now, min_count=7) == []
    unknown = trends.score(TrendKind.PRODUCT, "never", now)
    assert (unknown.count, unknown.lift, unknown.p_value) == (0, 0.0, 1.0)


def test_emerging_in_a_store_and_by_category() -> None:
    trends = Trends()
    s1 = StoreId("s1")
    now = feed(
        trends,
        week_of_views(store_id=s1) + burst("p3", 24, category="Home/Kitchen/Kettles", store_id=s1),
    )
    assert [e.key for e in trends.emerging(TrendKind.PRODUCT, now, store_id=s1)] == ["p3"]
    assert trends.emerging(TrendKind.PRODUCT, now, store_id=StoreId("s2")) == []
    # Home/Kitchen/Kettles is new, Home/Kitchen grows by 24 views over its usual 100 an hour.
    below_home = trends.emerging(TrendKind.CATEGORY, now, category="Home", store_id=s1)
    assert [e.key for e in below_home] == ["Home/Kitchen/Kettles", "Home/Kitchen"]
    kitchen = trends.score(TrendKind.CATEGORY, "Home > Kitchen", now)
    assert kitchen.count == 100 + 24 and kitchen.lift > 1.2
