"""The live activity the dashboard shows: rates by channel, the funnel, KPIs and windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shopstream.core import CustomerId
from shopstream.events import parse_message
from shopstream.measure import Activity

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def record(
    activity: Activity,
    customer: str | None,
    event: str,
    at: datetime,
    channel: str = "web",
    **props: Any,
) -> None:
    message = parse_message(
        {
            "type": "track",
            "anonymousId": customer or "nobody",
            "event": event,
            "properties": props,
            "context": {"channel": channel},
        },
        source="test",
        received_at=at,
    )
    activity.record(message, CustomerId(customer) if customer else None, at=at)


def stages(activity: Activity, now: datetime, seconds: int) -> dict[str, int]:
    return {s.stage: s.shoppers for s in activity.funnel(now, seconds)}


def test_the_funnel_counts_distinct_shoppers_per_stage() -> None:
    activity = Activity()
    for customer in ("a", "b", "c"):
        record(activity, customer, "Product Viewed", T0, product_id="p1")
        record(activity, customer, "Product Viewed", T0, product_id="p2")
    record(activity, "a", "Product Added", T0, product_id="p1")
    record(activity, "a", "Checkout Started", T0)
    record(activity, "a", "Order Completed", T0, order_id="o1", total=10.0)
    assert stages(activity, T0, 3600) == {"view": 3, "cart": 1, "checkout": 1, "order": 1}


def test_windows_end_at_now_and_look_back() -> None:
    activity = Activity()
    record(activity, "old", "Product Viewed", T0, product_id="p1")
    record(activity, "new", "Product Viewed", T0 + timedelta(hours=2), product_id="p1")
    later = T0 + timedelta(hours=2, minutes=1)
    assert stages(activity, later, 3600)["view"] == 1
    assert stages(activity, later, 86_400)["view"] == 2


def test_kpis_count_an_order_reported_twice_once() -> None:
    activity = Activity()
    record(activity, "a", "Product Viewed", T0, product_id="p1")
    record(activity, "b", "Product Viewed", T0, product_id="p1")
    lines = [{"product_id": "p1", "price": 5.0, "quantity": 3}]
    record(activity, "a", "Order Completed", T0, channel="pos", order_id="o1", products=lines)
    record(activity, "a", "Order Completed", T0, channel="web", order_id="o1", products=lines)
    record(activity, "b", "Order Completed", T0, order_id="o2", revenue=7.25)
    kpis = activity.kpis(T0, 3600)
    assert (kpis.orders, kpis.revenue, kpis.buyers, kpis.shoppers) == (2, 22.25, 2, 2)
    assert kpis.conversion == 1.0
    assert Activity().kpis(T0, 3600).conversion is None


def test_rates_are_per_second_and_channel() -> None:
    activity = Activity(rate_seconds=60)
    record(activity, "a", "Product Viewed", T0, product_id="p1")
    record(activity, "a", "Product Viewed", T0, product_id="p1")
    record(
        activity,
        None,
        "Inventory Updated",
        T0 + timedelta(seconds=2),
        channel="server",
        product_id="p1",
        quantity=3,
        store_id="s1",
    )
    rates = activity.rates(T0 + timedelta(seconds=2), seconds=3)
    assert rates.start == int(T0.timestamp())
    assert rates.channels == {"server": [0, 0, 1], "web": [2, 0, 0]}
    assert rates.total == [2, 0, 1]
    # Older than it keeps, a second is forgotten.
    record(activity, "a", "Product Viewed", T0 + timedelta(seconds=120), product_id="p1")
    assert sum(activity.rates(T0 + timedelta(seconds=2), seconds=3).total) == 0


def test_expiry_forgets_what_is_older_than_the_longest_window() -> None:
    activity = Activity(longest_window=3600)
    record(activity, "a", "Product Viewed", T0, product_id="p1")
    record(activity, "a", "Order Completed", T0, order_id="o1", total=1.0)
    activity.expire((T0 + timedelta(hours=2)).timestamp())
    assert stages(activity, T0, 3600)["view"] == 0
    assert activity.kpis(T0, 3600).orders == 0


def test_parameters_are_checked() -> None:
    with pytest.raises(ValueError, match="must be positive"):
        Activity(rate_seconds=0)
