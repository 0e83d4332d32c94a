"""What exposures and outcomes take from events, through HTTP on both backends.

An event's property values are legitimate JSON, NUL characters included, and the log keeps
them as bytes: the exposures and measured events made from them are kept whole (PostgreSQL
stores those values as bytes). A measured event no store can hold (an order whose lines add up
past 64 bits) is dropped by its background writer, counted in ``/metrics``, and the writer goes
on with the events after it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from shopstream import Engine
from shopstream.events import Identifier, IdType
from shopstream.identity import canonical_id
from shopstream.recommend import Placement, RecommendRequest

pytestmark = pytest.mark.parametrize("backend", ["embedded", "scaleout"], indirect=True)

T = datetime(2026, 11, 20, 10, tzinfo=UTC)
DAY = (T - timedelta(days=1), T + timedelta(days=1))


def track(user: str, event: str, minutes: float, message_id: str, **props: Any) -> dict[str, Any]:
    return {"type": "track", "userId": user, "event": event, "messageId": message_id,
            "timestamp": (T + timedelta(minutes=minutes)).isoformat(),
            "properties": props}  # fmt: skip


def engine_of(client: httpx.AsyncClient) -> Engine:
    transport = client._transport
    assert isinstance(transport, httpx.ASGITransport)
    engine: Engine = transport.app.state.engine  # type: ignore[attr-defined]
    return engine


async def until(check: Callable[[], bool], what: str) -> None:
    for _ in range(300):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(what)


async def test_values_with_a_nul_are_kept_in_outcomes_and_exposures(
    client: httpx.AsyncClient, writer: tuple[str, str]
) -> None:
    events = [
        track("u1", "Order Completed", 0, "m1", order_id="o\x00-1", total=20.0,
              trigger_id="t\x00", offer_id="f\x00", key="k\x00"),
        *[track(f"v{i}", "Product Viewed", 1 + i, f"v{i}a", product_id="p1") for i in range(3)],
        *[track(f"v{i}", "Product Viewed", 1.5 + i, f"v{i}b", product_id="p\x00") for i in range(3)],
    ]  # fmt: skip
    sent = await client.post("/v1/batch", json={"batch": events}, auth=writer)
    assert sent.status_code == 200, sent.text
    engine = engine_of(client)
    await until(lambda: len(engine.outcomes.between(*DAY)) == 7, "the events were not measured")
    order = engine.outcomes.between(*DAY)[0]
    assert (order.order_id, order.trigger_id, order.offer_id, order.key) == (
        "o\x00-1",
        "t\x00",
        "f\x00",
        "k\x00",
    )
    shopper = canonical_id(Identifier(IdType.USER_ID, "u9"))
    request = RecommendRequest(placement=Placement.PRODUCT, limit=5, product_id="p1")  # type: ignore[arg-type]
    await until(
        lambda: "p\x00" in [i.product_id for i in engine.recommend(shopper, request)[1]],
        "the product viewed after p1 was not recommended with it",
    )
    assert engine.exposures is not None
    shown = engine.exposures.of_customer(shopper, 1)
    assert "p\x00" in shown[0].items
    metrics = (await client.get("/metrics")).text
    assert 'shopstream_background_writes_dropped_total{store="outcomes"} 0.0' in metrics
    assert 'shopstream_background_writes_dropped_total{store="exposures"} 0.0' in metrics


async def test_an_outcome_no_store_can_hold_is_dropped_counted_and_the_rest_written(
    client: httpx.AsyncClient, writer: tuple[str, str]
) -> None:
    huge = [
        {"product_id": "p1", "quantity": 5 * 10**18},
        {"product_id": "p2", "quantity": 5 * 10**18},
    ]
    events = [
        track("u1", "Order Completed", 0, "o1", order_id="o1", total=10.0),
        track("u2", "Order Completed", 1, "o2", order_id="o2", total=20.0, products=huge),
        track("u3", "Order Completed", 2, "o3", order_id="o3", total=30.0),
    ]
    sent = await client.post("/v1/batch", json={"batch": events}, auth=writer)
    assert sent.status_code == 200, sent.text
    engine = engine_of(client)
    await until(lambda: engine.dropped_writes.counts().get("outcomes") == 1, "nothing dropped")
    assert [o.order_id for o in engine.outcomes.between(*DAY)] == ["o1", "o3"]
    later = track("u4", "Order Completed", 3, "o4", order_id="o4", total=40.0)
    assert (await client.post("/v1/track", json=later, auth=writer)).status_code == 200
    await until(lambda: len(engine.outcomes.between(*DAY)) == 3, "the writer stopped")
    metrics = (await client.get("/metrics")).text
    assert 'shopstream_background_writes_dropped_total{store="outcomes"} 1.0' in metrics
