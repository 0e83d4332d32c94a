"""``GET /v1/trends`` and ``POST /v1/bid`` over HTTP: events in through ``/v1/batch``, what is
rising and the bid multipliers out, and bad input answered 4xx naming the field."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from shopstream import Engine, Settings
from shopstream.api import KeyRing, create_app

SERVER = {"Authorization": "Bearer sk_test"}
AC = "Home > Cooling > Air Conditioning"


pytestmark = pytest.mark.parametrize("backend", ["embedded", "scaleout"], indirect=True)


@pytest.fixture
async def http(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    engine = Engine.from_settings(settings)
    keys, _ = KeyRing.from_settings(settings)
    app = create_app(engine, keys)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        yield client


def view(product: str, at: datetime, category: str) -> dict[str, Any]:
    return {"type": "track", "anonymousId": f"a-{product}", "event": "Product Viewed",
            "timestamp": at.isoformat(), "properties": {"product_id": product, "category": category}}  # fmt: skip


async def send(http: httpx.AsyncClient, events: list[dict[str, Any]]) -> None:
    for start in range(0, len(events), 500):
        response = await http.post("/v1/batch", json={"batch": events[start : start + 500]},
                                   auth=("wk_test", ""))  # fmt: skip
        assert response.status_code == 200, response.text


async def until(http: httpx.AsyncClient, params: dict[str, Any]) -> dict[str, Any]:
    for _ in range(200):
        response = await http.get("/v1/trends", params=params, headers=SERVER)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body["items"]:
            return body
        await asyncio.sleep(0.02)
    raise AssertionError(f"nothing rising for {params}")


async def test_a_surge_is_rising_and_raises_its_category_bid_as_a_heatwave_does(
    http: httpx.AsyncClient,
) -> None:
    now = datetime.now(UTC)
    week = [view(f"p{p}", now - timedelta(hours=h, minutes=p), AC if p < 2 else "Garden > Hoses")
            for h in range(1, 24 * 7) for p in range(6)]  # fmt: skip
    surge = [view("p1", now - timedelta(minutes=i), AC) for i in range(20)]
    heat = {"type": "track", "anonymousId": "met-office", "event": "Signal Received",
            "properties": {"kind": "weather.heatwave", "region": "UK", "values": {"temp_c": 35}}}  # fmt: skip
    await send(http, [*week, *surge, heat])

    body = await until(http, {"kind": "product", "window": "1h", "limit": 5})
    [item] = body["items"]
    assert item["key"] == "p1"
    assert item["counts"]["1h"] >= 20 and item["counts"]["7d"] >= item["counts"]["1d"] >= 20
    assert item["velocity"] > 5
    assert item["velocity"] == pytest.approx(2 ** item["score"], rel=1e-3)
    assert item["significance"]["pValue"] < 0.01 and item["significance"]["z"] > 2.3
    categories = await until(http, {"kind": "category", "window": "1h"})
    assert "Home/Cooling/Air Conditioning" in [i["key"] for i in categories["items"]]
    terms = await http.get("/v1/trends", params={"kind": "term"}, headers=SERVER)
    assert terms.status_code == 200 and terms.json()["items"] == []

    response = await http.post("/v1/bid", headers=SERVER, json={
        "campaign": "summer-ac", "category": AC, "region": "uk", "segment": "high_value",
        "customer": {"type": "anonymousId", "id": "a-new"}})  # fmt: skip
    assert response.status_code == 200, response.text
    bid = response.json()
    assert [r["kind"] for r in bid["reasons"]] == ["trend", "signal", "segment"]
    expected = 1.0
    for reason in bid["reasons"]:
        expected *= reason["multiplier"]
    assert bid["multiplier"] == pytest.approx(expected, rel=1e-5)
    assert bid["multiplier"] > 1.5 * 1.3
    hoses = await http.post("/v1/bid", headers=SERVER,
                            json={"campaign": "c", "category": "Garden > Hoses", "region": "fr"})  # fmt: skip
    assert hoses.json() == {"campaign": "c", "multiplier": 1.0, "reasons": []}


def assert_problem(response: httpx.Response, status: int, field: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == status
    assert problem["field"] == field, problem


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "brand"}, "query.kind"),
        ({"window": "2h"}, "query.window"),
        ({"window": "7d"}, "baseline"),
        ({"window": "1d", "baseline": "1h"}, "baseline"),
        ({"limit": 0}, "query.limit"),
        ({"limit": "many"}, "query.limit"),
        ({"alpha": 1}, "query.alpha"),
        ({"minCount": 0}, "query.minCount"),
        ({"store": ""}, "query.store"),
    ],
)
async def test_bad_trend_queries_are_4xx_naming_the_field(
    http: httpx.AsyncClient, params: dict[str, Any], field: str
) -> None:
    assert_problem(await http.get("/v1/trends", params=params, headers=SERVER), 400, field)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body.campaign"),
        ({"campaign": ""}, "body.campaign"),
        ({"campaign": "c", "category": ""}, "body.category"),
        ({"campaign": "c", "segment": {"a": 1}}, "body.segment.str"),
        ({"campaign": "c", "customer": {"type": "shoeSize", "id": "9"}}, "customer.type"),
        ({"campaign": "c", "customer": {"type": "userId"}}, "body.customer.id"),
        ({"campaign": "c", "bid": 2}, "body.bid"),
        ({"campaign": "c", "segment": "x" * 257}, "segment"),
        ({"campaign": "c", "segment": ""}, "segment"),
        ({"campaign": "c", "segment": ["vip"] * 33}, "segment"),
        ({"campaign": "c", "segment": ["vip", ""]}, "segment[1]"),
    ],
)
async def test_bad_bids_are_4xx_naming_the_field(
    http: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    assert_problem(await http.post("/v1/bid", json=body, headers=SERVER), 400, field)


async def test_trends_and_bids_need_a_server_key(http: httpx.AsyncClient) -> None:
    assert_problem(await http.get("/v1/trends"), 401, "authorization")
    response = await http.post("/v1/bid", json={"campaign": "c"}, auth=("wk_test", ""))
    assert_problem(response, 403, "authorization")
