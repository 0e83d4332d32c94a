"""Ad bid multipliers: each factor applies for its reason, and only then."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shopstream import Engine, Settings
from shopstream.core import CustomerId
from shopstream.decide import (
    Bidder,
    BidRequest,
    BidRules,
    InvalidBidRules,
    SignalBoost,
    StaticSegments,
)
from shopstream.events import Message, parse_message
from shopstream.trends import Trends

T0 = datetime(2026, 7, 1, tzinfo=UTC)
AC = "Home > Cooling > Air Conditioning"


def track(event: str, at: datetime, **props: Any) -> Message:
    raw = {"type": "track", "anonymousId": "a1", "event": event, "properties": props,
           "timestamp": at.isoformat()}  # fmt: skip
    return parse_message(raw, source="test", received_at=at)


def feed(trends: Trends, messages: list[Message]) -> datetime:
    for offset, message in enumerate(messages, (trends.last_offset or 0) + 1):
        assert message.received_at is not None
        trends.apply(message, offset=offset, now=message.received_at)
    assert trends.clock is not None
    return trends.clock


def steady_week(trends: Trends) -> datetime:
    """A view an hour of an air conditioner and of a heater for a week."""
    views = []
    for hour in range(24 * 7):
        at = T0 + timedelta(hours=hour)
        views.append(track("Product Viewed", at, product_id="ac1", category=AC))
        views.append(
            track("Product Viewed", at, product_id="h1", category="Home > Heating > Heaters")
        )
    return feed(trends, views)


def heatwave(region: str | None, at: datetime, **values: Any) -> Message:
    return track("Signal Received", at, kind="weather.heatwave", region=region,
                 values=values or {"temp_c": 36})  # fmt: skip


def kinds(bid: Any) -> list[tuple[str, str]]:
    return [(r.kind, r.key) for r in bid.reasons]


def test_no_factor_no_reason() -> None:
    trends = Trends()
    now = steady_week(trends)
    bid = Bidder(BidRules(), lambda: trends).bid(BidRequest("c1", AC, "uk"), now=now.timestamp())
    assert (bid.multiplier, bid.reasons) == (1.0, ())


def test_segments_from_the_request_and_from_membership_multiply() -> None:
    members = StaticSegments({CustomerId("c9"): ["high_value", "unknown"]})
    bidder = Bidder(BidRules(), Trends, members)
    bid = bidder.bid(BidRequest("c1", segments=("lapsed",), customer_id=CustomerId("c9")), now=0.0)
    assert bid.multiplier == pytest.approx(0.8 * 1.3)
    assert kinds(bid) == [("segment", "lapsed"), ("segment", "high_value")]
    # A segment named twice (by the request and by membership) counts once.
    again = bidder.bid(
        BidRequest("c1", segments=("high_value",), customer_id=CustomerId("c9")), now=0.0
    )
    assert again.multiplier == pytest.approx(1.3)


def test_a_heatwave_in_the_region_raises_air_conditioning_and_lowers_heaters_there_only() -> None:
    trends = Trends()
    now = steady_week(trends)
    now = feed(trends, [heatwave("UK", now)])
    bidder = Bidder(BidRules(), lambda: trends)
    at = now.timestamp()
    hot = bidder.bid(BidRequest("c1", AC, "uk"), now=at)
    assert hot.multiplier == pytest.approx(1.5)
    assert kinds(hot) == [("signal", "weather.heatwave")]
    assert "uk (temp_c=36)" in hot.reasons[0].detail
    assert bidder.bid(BidRequest("c1", "Home > Heating > Heaters", "uk"), now=at).multiplier == 0.7
    assert bidder.bid(BidRequest("c1", AC, "fr"), now=at).reasons == ()
    assert bidder.bid(BidRequest("c1", "Garden > Hoses", "uk"), now=at).reasons == ()


def test_a_signal_rule_with_a_threshold_needs_the_value() -> None:
    trends = Trends()
    now = feed(trends, [heatwave("es", T0, temp_c=29)])
    rules = BidRules.from_mapping(
        {
            "signals": [
                {
                    "kind": "weather.heatwave",
                    "categories": ["Fans"],
                    "multiplier": 1.4,
                    "value": "temp_c",
                    "at_least": 30,
                }
            ]
        }
    )
    bidder = Bidder(rules, lambda: trends)
    assert bidder.bid(BidRequest("c1", "Fans", "es"), now=now.timestamp()).reasons == ()
    later = feed(trends, [heatwave("es", now + timedelta(minutes=1), temp_c=33)])
    bid = bidder.bid(BidRequest("c1", "Fans", "es"), now=later.timestamp() + 60)
    assert bid.multiplier == pytest.approx(1.4)


def test_a_rising_category_raises_the_bid_and_a_steady_one_does_not() -> None:
    trends = Trends()
    now = steady_week(trends)
    burst = [
        track(
            "Product Viewed", now + timedelta(minutes=2 * i), product_id=f"ac{i % 3}", category=AC
        )
        for i in range(20)
    ]
    now = feed(trends, burst)
    bid = Bidder(BidRules(), lambda: trends).bid(BidRequest("c1", AC), now=now.timestamp())
    [reason] = bid.reasons
    assert reason.kind == "trend" and reason.key == "Home/Cooling/Air Conditioning"
    assert 1.0 < bid.multiplier <= BidRules().trend.cap
    assert "rising" in reason.detail
    # The parent category rose too (every level counts); a sibling did not.
    heaters = Bidder(BidRules(), lambda: trends).bid(
        BidRequest("c1", "Home > Heating"), now=now.timestamp()
    )
    assert heaters.reasons == ()


def test_factors_are_reused_until_the_refresh_period_turns() -> None:
    trends = Trends()
    now = steady_week(trends)
    bidder = Bidder(BidRules(refresh_seconds=10), lambda: trends)
    at = now.timestamp() // 10 * 10
    assert bidder.bid(BidRequest("c1", AC, "uk"), now=at).reasons == ()
    feed(trends, [heatwave("uk", now)])
    assert bidder.bid(BidRequest("c1", AC, "uk"), now=at + 9).reasons == ()  # precomputed
    assert bidder.bid(BidRequest("c1", AC, "uk"), now=at + 10).multiplier == pytest.approx(1.5)


def test_the_multiplier_is_clamped_with_a_reason() -> None:
    rules = BidRules.from_mapping({"segments": {"a": 2.0, "b": 2.0}, "ceiling": 3.0})
    bid = Bidder(rules, Trends).bid(BidRequest("c1", segments=("a", "b")), now=0.0)
    assert bid.multiplier == 3.0
    assert kinds(bid)[-1] == ("clamp", "ceiling")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"segment": {}}, "segment"),
        ({"segments": {"vip": -1}}, "segments.vip"),
        ({"segments": ["vip"]}, "segments"),
        ({"floor": 2.0, "ceiling": 1.0}, "ceiling"),
        ({"trend": {"window": "7d"}}, "trend.baseline"),
        ({"trend": {"window": "2h"}}, "trend.window"),
        ({"trend": {"alpha": 1.0}}, "trend.alpha"),
        ({"trend": {"gains": 1}}, "trend.gains"),
        ({"signals": {"kind": "x"}}, "signals"),
        ({"signals": [{"kind": "x", "multiplier": 1.2}]}, "signals[0].categories"),
        ({"signals": [{"kind": "x", "categories": [], "multiplier": 1}]}, "signals[0].categories"),
        (
            {"signals": [{"kind": "x", "categories": ["A"], "multiplier": "high"}]},
            "signals[0].multiplier",
        ),
        (
            {"signals": [{"kind": "x", "categories": ["A"], "multiplier": 1, "value": "t"}]},
            "signals[0].at_least",
        ),
    ],
)
def test_bad_rules_name_their_field(data: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidBidRules) as error:
        BidRules.from_mapping(data)
    assert error.value.field == field


def test_a_category_rule_matches_a_path_it_begins_or_a_level_it_names() -> None:
    boost = SignalBoost("k", ("Home > Cooling", "Fans"), 1.2)
    assert boost.matches(("home", "cooling", "air conditioning"))
    assert boost.matches(("home", "fans"))
    assert not boost.matches(("home",))
    assert not boost.matches(("cooling",))


@pytest.mark.parametrize("backend", ["embedded", "scaleout"], indirect=True)
def test_rules_come_from_settings_and_bad_ones_stop_the_engine(settings: Settings) -> None:
    engine = Engine.from_settings(
        settings.model_copy(update={"bid_rules": {"segments": {"vip": 2.0}}})
    )
    try:
        bid = engine.bid(BidRequest("c1", segments=("vip", "high_value")), now=0.0)
        assert bid.multiplier == 2.0
    finally:
        asyncio.run(engine.close())
    before = set(threading.enumerate())
    with pytest.raises(InvalidBidRules) as error:
        Engine.from_settings(settings.model_copy(update={"bid_rules": {"floor": -1}}))
    assert error.value.field == "floor"
    # the stores it had opened are closed again: no writer or poller outlives the refusal
    assert not [t.name for t in set(threading.enumerate()) - before]
