"""One shopper across web, app and a store's POS becomes one profile (through HTTP)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from shopstream.testing import ServerProcess

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.parametrize("backend", ["embedded", "collectors", "scaleout"], indirect=True),
]

WEB = {"library": {"name": "analytics.js", "version": "2.11.1"}, "userAgent": "Mozilla/5.0",
       "page": {"path": "/"}}  # fmt: skip
APP = {"library": {"name": "analytics-ios", "version": "4.1.5"}, "app": {"name": "Shop"},
       "device": {"id": "ios-device-7"}}  # fmt: skip


def _eventually(
    fetch: Callable[[], Any], check: Callable[[Any], bool], timeout: float = 5.0
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if check(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.02)


def test_web_app_and_pos_become_one_profile(server: ServerProcess) -> None:
    with httpx.Client(base_url=server.url, auth=(server.write_key, "")) as http:
        _journey(server, http)


def _journey(server: ServerProcess, http: httpx.Client) -> None:
    admin = server.admin_headers()
    stores = {"stores": [{"id": "s12", "name": "Lisbon Chiado", "lat": 38.71, "lon": -9.14,
                          "timezone": "Europe/Lisbon",
                          "zones": [{"id": "z-kitchen", "name": "Kitchen",
                                     "categories": ["Home > Kitchen"]}]}]}  # fmt: skip
    assert httpx.put(server.url + "/v1/stores", json=stores, headers=admin).status_code == 200
    stock = {"levels": [{"productId": "kettle", "storeId": "s12", "quantity": 5},
                        {"productId": "mug", "storeId": "s12", "quantity": 9}]}  # fmt: skip
    assert httpx.put(server.url + "/v1/inventory", json=stock, headers=admin).status_code == 200

    kettle = {"product_id": "kettle", "name": "Glass kettle", "category": "Home > Kitchen",
              "brand": "Brew", "price": 39.0}  # fmt: skip
    mug = {"product_id": "mug", "name": "Stoneware mug", "category": "Home > Kitchen",
           "brand": "Clay", "price": 12.5}  # fmt: skip
    web = [
        {"type": "page", "anonymousId": "anon-web", "name": "Home", "context": WEB},
        {"type": "track", "anonymousId": "anon-web", "event": "Product Viewed",
         "properties": kettle, "context": WEB},
        {"type": "track", "anonymousId": "anon-web", "event": "Product Added",
         "properties": {**kettle, "quantity": 1}, "context": WEB},
        # Signs up for the newsletter on the web.
        {"type": "identify", "anonymousId": "anon-web",
         "traits": {"email": "Ana.Silva@Example.com", "first_name": "Ana"}, "context": WEB},
    ]  # fmt: skip
    app = [
        {"type": "screen", "anonymousId": "anon-app", "name": "Product", "context": APP},
        {"type": "track", "anonymousId": "anon-app", "event": "Product Added",
         "properties": {**mug, "quantity": 2}, "context": APP},
        # Logs in on the app with the loyalty card; the account carries the same email.
        {"type": "identify", "anonymousId": "anon-app", "userId": "ana-42",
         "traits": {"loyalty_id": "L-0042", "email": "ana.silva@example.com",
                    "consent": {"email": True, "sms": False}},
         "context": APP},
    ]  # fmt: skip
    for batch in (web, app):
        assert http.post("/v1/batch", json={"batch": batch}).status_code == 200

    def profile(id_type: str, value: str) -> dict[str, Any]:
        response = httpx.get(f"{server.url}/v1/profiles/{id_type}/{value}",
                             headers=server.server_headers())  # fmt: skip
        return response.json() if response.status_code == 200 else {}

    merged = _eventually(lambda: profile("anonymousId", "anon-web"),
                         lambda p: len(p.get("cart", {}).get("lines", [])) == 2)  # fmt: skip
    assert {line["productId"]: line["quantity"] for line in merged["cart"]["lines"]} == {
        "kettle": 1, "mug": 2,
    }  # fmt: skip

    # At the store, the POS knows the shopper only by the email on the receipt.
    pos = {"library": {"name": "pos-gateway"}, "channel": "pos",
           "traits": {"email": "  ANA.SILVA@example.com "}}  # fmt: skip
    order = {"type": "track", "anonymousId": "pos-till-3", "event": "Order Completed",
             "context": pos,
             "properties": {"order_id": "R-991", "store_id": "s12", "total": 64.0,
                            "products": [{**kettle, "quantity": 1}, {**mug, "quantity": 2}]}}  # fmt: skip
    assert http.post("/v1/track", json=order).status_code == 200

    final = _eventually(lambda: profile("loyaltyId", "L-0042"), lambda p: bool(p.get("orders")))
    assert final["customerId"] == profile("email", "ana.silva@example.com")["customerId"]
    assert final["customerId"] == profile("userId", "ana-42")["customerId"]
    assert final["customerId"] == merged["customerId"]
    kinds = {i["type"] for i in final["identifiers"]}
    assert {"anonymousId", "userId", "email", "loyaltyId", "deviceId"} <= kinds
    assert final["cart"]["lines"] == []
    [placed] = final["orders"]
    assert placed["orderId"] == "R-991"
    assert placed["channel"] == "pos"
    assert placed["storeId"] == "s12"
    assert placed["total"] == 64.0
    assert final["consent"]["email"] is True
    assert final["consent"]["sms"] is False

    events = httpx.get(f"{server.url}/v1/profiles/loyaltyId/L-0042/events",
                       headers=server.server_headers()).json()["events"]  # fmt: skip
    assert len(events) == len(web) + len(app) + 1
    assert {e["event"]["channel"] for e in events} == {"web", "app", "pos"}

    stock_after = httpx.get(f"{server.url}/v1/inventory/kettle",
                            headers=server.server_headers()).json()["stock"]  # fmt: skip
    assert stock_after["s12"] == 4
