"""Attribution on a hand-computed journey for every model, and the ordered funnel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shopstream.core import CustomerId
from shopstream.measure import (
    AttributionModel,
    Conversion,
    FirstTouch,
    FunnelEvent,
    InvalidMeasureInput,
    Journey,
    LastTouch,
    Linear,
    PositionBased,
    TimeDecay,
    Touch,
    TouchKey,
    attribute,
    funnel,
)

T0 = datetime(2026, 3, 1, tzinfo=UTC)
DAY = timedelta(days=1)
BRAND = TouchKey("ads", "ad", "brand")  # ten days before: outside the 7-day lookback
SPRING = TouchKey("email", "email", "spring")
RECS = TouchKey("web", "home", "recs")
PUSH = TouchKey("push", "push", "10off")
CART = TouchKey("web", "cart", "10off")


def _touch(key: TouchKey, at: datetime) -> Touch:
    return Touch(key.channel, key.placement, key.offer_id, at)


JOURNEYS = [
    Journey(
        CustomerId("c1"),
        # given out of order: attribution sorts them
        [
            _touch(CART, T0 + 3 * DAY),
            _touch(SPRING, T0),
            _touch(BRAND, T0 - 10 * DAY),
            _touch(RECS, T0 + DAY),
            _touch(PUSH, T0 + 2 * DAY),
        ],
        # the second conversion has no touch in [T0 + 5d, T0 + 12d]
        [Conversion(T0 + 4 * DAY, 100.0), Conversion(T0 + 12 * DAY, 40.0)],
    ),
    Journey(CustomerId("c2"), [], [Conversion(T0, 30.0)]),
]

# Shares of the 100.0 conversion at T0 + 4d among touches 4, 3, 2 and 1 days old, by hand:
EXPECTED: list[tuple[AttributionModel, dict[TouchKey, float]]] = [
    (LastTouch(), {CART: 1.0}),
    (FirstTouch(), {SPRING: 1.0}),
    (Linear(), {SPRING: 0.25, RECS: 0.25, PUSH: 0.25, CART: 0.25}),
    # 2**-4, 2**-3, 2**-2, 2**-1 over their sum 15/16
    (TimeDecay(half_life=DAY), {SPRING: 1 / 15, RECS: 2 / 15, PUSH: 4 / 15, CART: 8 / 15}),
    (PositionBased(), {SPRING: 0.4, RECS: 0.1, PUSH: 0.1, CART: 0.4}),
]


@pytest.mark.parametrize(("model", "shares"), EXPECTED, ids=lambda v: type(v).__name__)
def test_credit_per_touch(model: AttributionModel, shares: dict[TouchKey, float]) -> None:
    result = attribute(JOURNEYS, model, lookback=7 * DAY)
    credited = {k: c.conversions for k, c in result.by_touch.items() if c.conversions}
    assert credited == pytest.approx(shares)
    for key, share in shares.items():
        assert result.by_touch[key].revenue == pytest.approx(100.0 * share)
    assert BRAND not in credited
    assert result.unattributed.conversions == 2
    assert result.unattributed.revenue == pytest.approx(70.0)


def test_totals_per_channel_placement_and_offer() -> None:
    result = attribute(JOURNEYS, PositionBased(), lookback=7 * DAY)
    assert {k: c.conversions for k, c in result.by_channel.items()} == pytest.approx(
        {"email": 0.4, "web": 0.5, "push": 0.1}
    )
    assert {k: c.revenue for k, c in result.by_placement.items()} == pytest.approx(
        {"email": 40.0, "home": 10.0, "push": 10.0, "cart": 40.0}
    )
    assert {k: c.conversions for k, c in result.by_offer.items()} == pytest.approx(
        {"spring": 0.4, "recs": 0.1, "10off": 0.5}
    )


def test_a_longer_lookback_reaches_the_older_touch() -> None:
    result = attribute(JOURNEYS, FirstTouch(), lookback=30 * DAY)
    # both of c1's conversions (T0 + 4d and T0 + 12d) now reach back to the brand ad
    assert result.by_touch[BRAND].conversions == 2.0
    assert result.by_touch[BRAND].revenue == pytest.approx(140.0)
    assert result.unattributed.conversions == 1


def test_position_based_with_one_and_two_touches() -> None:
    times = [T0, T0 + DAY]
    assert PositionBased().weights(times[:1], T0 + 2 * DAY) == [1.0]
    assert PositionBased().weights(times, T0 + 2 * DAY) == [0.5, 0.5]
    assert PositionBased(first=0.3, last=0.6).weights(times, T0 + 2 * DAY) == pytest.approx(
        [1 / 3, 2 / 3]
    )


def test_bad_parameters_are_rejected() -> None:
    with pytest.raises(InvalidMeasureInput):
        TimeDecay(half_life=timedelta(0))
    with pytest.raises(InvalidMeasureInput):
        PositionBased(first=0.7, last=0.7)
    with pytest.raises(InvalidMeasureInput):
        attribute(JOURNEYS, Linear(), lookback=-DAY)


def test_funnel_counts_customers_in_order() -> None:
    def at(minutes: int) -> datetime:
        return T0 + timedelta(minutes=minutes)

    steps = {
        "c1": ["Product Viewed", "Product Added", "Checkout Started", "Order Completed"],
        "c2": ["Product Viewed", "Product Added", "Page Viewed"],
        "c3": ["Order Completed"],  # no view first: reaches no stage
        "c4": ["Product Added", "Product Viewed"],  # the cart came before the view
        "c5": ["Product Viewed", "Product Viewed", "Checkout Started"],  # skipped the cart
    }
    events = [
        FunnelEvent(CustomerId(c), name, at(i))
        for c, names in steps.items()
        for i, name in enumerate(names)
    ]
    counts = funnel(reversed(events))  # out of order: sorted by time
    assert counts.reached == {"view": 4, "cart": 2, "checkout": 1, "order": 1}
    assert counts.deepest == {"c1": "order", "c2": "cart", "c4": "view", "c5": "view"}
    assert counts.rate("view") is None
    assert counts.rate("cart") == 0.5
    assert counts.rate("order") == 1.0
    assert funnel([]).rate("cart") is None
