"""Joins per canonical customer: served answers, messages, clicks and orders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from shopstream.core import CustomerId, Offset, ProductId
from shopstream.events import parse_message
from shopstream.measure import (
    CustomerTouch,
    Exposure,
    MeasuredEvent,
    Touch,
    join,
    measured_event,
    served_touches,
)

T = datetime(2026, 11, 20, 10, tzinfo=UTC)


def order(offset: int, customer: str, order_id: str, revenue: float, minutes: int) -> MeasuredEvent:
    return MeasuredEvent(Offset(offset), CustomerId(customer), "Order Completed", "web",
                         T + timedelta(minutes=minutes), revenue, order_id)  # fmt: skip


def test_served_answers_messages_and_clicks_join_under_the_id_of_now() -> None:
    exposure = Exposure("d1", CustomerId("anon-1"), "product", "web", (ProductId("p1"),),
                        ("co-viewed",), "blend@1", T)  # fmt: skip
    message = CustomerTouch(CustomerId("c1"), Touch("email", "email", "10off", T, "cart"))
    click = MeasuredEvent(Offset(3), CustomerId("c1"), "Email Link Clicked", "email",
                          T + timedelta(minutes=5), trigger_id="cart", offer_id="10off")  # fmt: skip
    opened = MeasuredEvent(Offset(2), CustomerId("c1"), "Email Opened", "email", T)
    events = [click, opened, order(4, "anon-1", "o1", 30.0, 10), order(5, "c1", "o1", 30.0, 11)]
    triggered = Exposure("d2", CustomerId("c1"), "trigger:cart", "email", (), ("fired",),
                         "linucb@1", T)  # fmt: skip
    served = served_touches([exposure, triggered])  # the triggered one counts when sent
    [journey] = join([*served, message], events, {"anon-1": "c1"}.get)
    assert journey.customer_id == "c1"
    assert [(t.channel, t.placement, t.offer_id, t.trigger_id) for t in journey.touches] == [
        ("web", "product", "", ""), ("email", "email", "10off", "cart"),
        ("email", "email", "10off", "cart"),
    ]  # fmt: skip
    assert [c.revenue for c in journey.conversions] == [30.0]  # o1 once


@given(st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from(["o1", "o2", "o3"]),
                          st.integers(0, 100)), max_size=30))  # fmt: skip
def test_an_order_counts_once_per_customer_however_often_it_is_reported(
    reports: list[tuple[str, str, int]],
) -> None:
    events = [order(i, c, o, 10.0, m) for i, (c, o, m) in enumerate(reports)]
    journeys = join([], events)
    assert sum(len(j.conversions) for j in journeys) == len({(c, o) for c, o, _ in reports})


def test_measured_events_carry_revenue_and_what_was_clicked() -> None:
    def parse(raw: dict[str, object]) -> MeasuredEvent | None:
        message = parse_message({"userId": "u1", "timestamp": T.isoformat(), **raw},
                                source="t", received_at=T)  # fmt: skip
        return measured_event(Offset(9), message, CustomerId("c1"))

    placed = parse({"type": "track", "event": "Order Completed", "properties": {
        "order_id": "o9", "products": [{"product_id": "p1", "price": 10, "quantity": 3},
                     {"product_id": "p2", "price": 2.5}]}})  # fmt: skip
    assert placed is not None
    assert (placed.revenue, placed.quantity, placed.order_id) == (32.5, 4, "o9")
    clicked = parse({"type": "track", "event": "Ad Clicked",
                     "properties": {"offer_id": "spring", "trigger_id": "t1"}})  # fmt: skip
    assert clicked is not None
    assert (clicked.channel, clicked.offer_id, clicked.trigger_id) == ("ads", "spring", "t1")
    assert (
        parse({"type": "track", "event": "Products Searched", "properties": {"query": "x"}}) is None
    )
    assert parse({"type": "identify"}) is None
