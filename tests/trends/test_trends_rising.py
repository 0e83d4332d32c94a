"""Windows through :class:`Trends` (brute force, snapshots, the memory bound), the
significance gate against a plain moving average, and :func:`rising`."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopstream.events import Message, parse_message
from shopstream.trends import (
    WINDOWS,
    InvalidTrendQuery,
    InvalidTrendRules,
    TrendKind,
    TrendRules,
    Trends,
    Window,
    rising,
)

T0 = datetime(2026, 3, 1, tzinfo=UTC)
RULES = TrendRules()


def view(product_id: str, at: datetime, **props: Any) -> Message:
    raw = {"type": "track", "anonymousId": "a1", "event": "Product Viewed",
           "properties": {"product_id": product_id, **props}, "timestamp": at.isoformat()}  # fmt: skip
    return parse_message(raw, source="test", received_at=at)


def brute_force(seen: list[tuple[str, int]], key: str, window: Window, now: int) -> int:
    """Views of ``key`` at seconds ``t`` whose tier bucket is one of the window's last n."""
    width = RULES.layout.widths[0]
    multiple, cells = RULES.layout.multiples[window.tier], RULES.layout.cells[window.tier]
    head = now // width
    return sum(
        1 for k, t in seen if k == key and (t // width) // multiple > head // multiple - cells
    )


@settings(max_examples=60, deadline=None)
@given(
    gaps=st.lists(
        st.tuples(
            st.sampled_from([0, 1, 7, 59, 301, 3_599, 40_000, 90_000, 700_000]),
            st.sampled_from(["a", "b", "c"]),
        ),
        max_size=40,
    ),
    cut=st.integers(0, 40),
    expire=st.booleans(),
)
def test_window_counts_equal_brute_force_across_a_snapshot(
    gaps: list[tuple[int, str]], cut: int, expire: bool
) -> None:
    trends, seen = Trends(RULES), []
    moment = int(T0.timestamp())
    for offset, (gap, key) in enumerate(gaps, 1):
        moment += gap
        at = datetime.fromtimestamp(moment, UTC)
        trends.apply(view(key, at), offset=offset, now=at)
        seen.append((key, moment))
        if offset == cut:  # restart: the counts must come back as they were
            trends = Trends.from_snapshot(trends.to_snapshot(), RULES)
            if expire:
                trends.expire(at)
    now = datetime.fromtimestamp(moment, UTC)
    for key in "abc":
        for window in WINDOWS:
            expected = brute_force(seen, key, window, moment)
            assert trends.count(TrendKind.PRODUCT, key, window, now) == expected, (key, window)


def test_expire_keeps_at_most_max_keys_a_counter_dropping_the_least_recent() -> None:
    rules = TrendRules(max_keys=3)
    trends = Trends(rules)
    for i in range(6):
        at = T0 + timedelta(minutes=i)
        trends.apply(view(f"p{i}", at), offset=i + 1, now=at)
    now = T0 + timedelta(minutes=6)
    assert trends.expire(now) == 3
    kept = [trends.count(TrendKind.PRODUCT, f"p{i}", Window.DAY, now) for i in range(6)]
    assert kept == [0, 0, 0, 1, 1, 1]
    with pytest.raises(InvalidTrendRules) as error:
        TrendRules(max_keys=0)
    assert error.value.field == "max_keys"


# -- the significance gate against a plain moving average ---------------------------------------


def poisson(rng: random.Random, mean: float) -> int:
    count, limit, product = 0, math.exp(-mean), rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def quiet_week(
    keys: int, seed: int, surge: dict[str, float] | None = None
) -> tuple[Trends, datetime]:
    """A week and an hour of Poisson views, hour by hour, rates 0.5 to 8 an hour; ``surge``
    multiplies some keys' rate in the last hour."""
    rng = random.Random(seed)
    rates = {f"k{i}": math.exp(rng.uniform(math.log(0.5), math.log(8.0))) for i in range(keys)}
    trends, offset = Trends(RULES), 0
    for hour in range(24 * 7 + 1):
        at = T0 + timedelta(hours=hour, minutes=30)
        for key, rate in rates.items():
            factor = (surge or {}).get(key, 1.0) if hour == 24 * 7 else 1.0
            for _ in range(poisson(rng, rate * factor)):
                offset += 1
                trends.apply(view(key, at), offset=offset, now=at)
    return trends, T0 + timedelta(days=7, minutes=59)


def moving_average_flags(
    trends: Trends, now: datetime, *, ratio: float, min_count: int
) -> set[str]:
    """The plain baseline: this hour's count against the average hour of the week before."""
    flagged = set()
    for key in trends.top(TrendKind.PRODUCT, Window.HOUR, now, k=10_000):
        x = key.count
        before = trends.count(TrendKind.PRODUCT, key.key, Window.WEEK, now) - x
        if x >= min_count and x >= ratio * before / (24 * 7 - 1):
            flagged.add(key.key)
    return flagged


def test_noise_does_not_fire_the_gate_but_fires_a_moving_average() -> None:
    trends, now = quiet_week(300, seed=3)
    gated = {r.key for r in rising(trends, "product", now, window="1h", limit=300, min_count=3)}
    plain = moving_average_flags(trends, now, ratio=2.0, min_count=3)
    assert len(gated) <= 6  # alpha 0.01 over 300 quiet keys: 3 expected
    assert len(plain) >= 3 * max(len(gated), 3)


def test_a_surge_rises_with_its_counts_velocity_and_significance() -> None:
    trends, now = quiet_week(200, seed=5, surge={"k7": 6.0, "k8": 6.0})
    found = rising(trends, TrendKind.PRODUCT, now, window=Window.HOUR, limit=10)
    assert {"k7", "k8"} <= {r.key for r in found}
    assert len(found) <= 4
    top = found[0]
    assert top.velocity == pytest.approx(2**top.score)
    assert top.velocity > 2.5 and top.p_value < 0.01 and top.z > 2.3
    assert top.counts[Window.HOUR] >= 5
    assert top.counts[Window.FIVE_MINUTES] <= top.counts[Window.HOUR] <= top.counts[Window.DAY]
    assert top.counts[Window.DAY] <= top.counts[Window.WEEK]
    assert [r.velocity for r in found] == sorted((r.velocity for r in found), reverse=True)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "brand"}, "kind"),
        ({"window": "2h"}, "window"),
        ({"window": "7d"}, "baseline"),
        ({"baseline": "5m"}, "baseline"),
        ({"alpha": 1.5}, "alpha"),
    ],
)
def test_bad_arguments_name_their_field(kwargs: dict[str, Any], field: str) -> None:
    args: dict[str, Any] = {"kind": "product", **kwargs}
    kind = args.pop("kind")
    with pytest.raises(InvalidTrendQuery) as error:
        rising(Trends(), kind, T0, **args)
    assert error.value.field == field
