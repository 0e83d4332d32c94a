"""Access to the web apps: nothing without a sign-in or a key, one store's view per associate,
every profile view audit-logged, the storefront only in demo mode (in-process, with httpx)."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from shopstream.testing.web import ADMIN_KEY, ASSOCIATES, SERVER_KEY, WRITE_KEY

pytestmark = pytest.mark.parametrize("backend", ["embedded", "scaleout"], indirect=True)

NYC_ID, NYC_NAME, NYC, NYC_PIN = ASSOCIATES[0]
CHI_ID, _, CHI, CHI_PIN = ASSOCIATES[1]
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
SERVER = {"Authorization": f"Bearer {SERVER_KEY}"}

STORE_APIS = (
    "/customers?q=ana",
    "/customers/c1",
    "/customers/c1/recommendations",
    "/products?q=kettle",
    "/nearby",
)


async def sign_in(web: httpx.AsyncClient, store: str, associate: str, pin: str) -> httpx.Response:
    form = {"store_id": store, "associate_id": associate, "pin": pin}
    return await web.post("/associate/sign-in", data=form)


async def send(web: httpx.AsyncClient, *messages: dict[str, Any]) -> None:
    response = await web.post("/v1/batch", json={"batch": list(messages)}, auth=(WRITE_KEY, ""))
    assert response.status_code == 200, response.text


async def eventually(
    fetch: Callable[[], Any], check: Callable[[Any], bool], timeout: float = 5.0
) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await fetch()
        if check(value) or loop.time() > deadline:
            return value
        await asyncio.sleep(0.02)


async def profile(web: httpx.AsyncClient, user_id: str) -> dict[str, Any]:
    response = await web.get(f"/v1/profiles/userId/{user_id}", headers=SERVER)
    return response.json() if response.status_code == 200 else {}


def in_stock_at(web_catalogue: Any, store: str) -> str:
    """A product with stock at ``store``."""
    return next(pid for loc, pid, qty in web_catalogue.stock if loc == store and qty > 0)


async def ana(web: httpx.AsyncClient, product_id: str) -> dict[str, Any]:
    """A known shopper who browsed the web, added to her cart and walked into the NYC store."""
    store = {"channel": "store"}
    await send(
        web,
        {
            "type": "identify",
            "userId": "ana-7",
            "traits": {
                "first_name": "Ana",
                "last_name": "Sílva",
                "email": "Ana.Silva@Example.com",
                "phone": "(212) 555-0142",
                "loyalty_id": "L-0042",
            },
        },
        {
            "type": "track",
            "userId": "ana-7",
            "event": "Product Viewed",
            "properties": {"product_id": product_id},
        },
        {
            "type": "track",
            "userId": "ana-7",
            "event": "Product Added",
            "properties": {"product_id": product_id, "quantity": 2},
        },
        {
            "type": "track",
            "userId": "ana-7",
            "event": "Store Entered",
            "properties": {"store_id": NYC},
            "context": store,
        },
    )
    found = await eventually(lambda: profile(web, "ana-7"), lambda p: bool(p.get("storeVisits")))
    assert found["cart"]["lines"], found
    return found


# -- nothing without a sign-in or a key -------------------------------------------------------


@pytest.mark.parametrize("api", STORE_APIS)
async def test_associate_apis_need_a_signed_in_associate(web: httpx.AsyncClient, api: str) -> None:
    response = await web.get(f"/v1/associate/stores/{NYC}{api}")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    # A key does not open them either: associates sign in.
    assert (await web.get(f"/v1/associate/stores/{NYC}{api}", headers=ADMIN)).status_code == 401


async def test_pages_need_a_sign_in(web: httpx.AsyncClient) -> None:
    page = await web.get(f"/associate/stores/{NYC}")
    assert page.status_code == 303
    assert page.headers["location"] == "/associate"
    sign_in_form = await web.get("/associate")
    assert sign_in_form.status_code == 200
    assert 'action="/associate/sign-in"' in sign_in_form.text
    dashboard = await web.get("/dashboard")
    assert dashboard.status_code == 200
    assert 'action="/dashboard/sign-in"' in dashboard.text
    assert "rates-chart" not in dashboard.text


@pytest.mark.parametrize("path", ["/v1/dashboard", "/v1/audit"])
async def test_admin_apis_need_an_admin_key(web: httpx.AsyncClient, path: str) -> None:
    assert (await web.get(path)).status_code == 401
    assert (await web.get(path, headers=SERVER)).status_code == 403
    assert (await web.get(path, headers={"Authorization": "Bearer nope"})).status_code == 401
    assert (await web.get(path, headers=ADMIN)).status_code == 200


async def test_pages_carry_security_headers(web: httpx.AsyncClient) -> None:
    for path in ("/associate", "/dashboard", "/shop"):
        headers = (await web.get(path)).headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"


# -- the storefront, only in demo mode --------------------------------------------------------------


async def test_storefront_is_served_only_in_demo_mode(
    web: httpx.AsyncClient, web_app: FastAPI
) -> None:
    shop = await web.get("/shop")
    assert shop.status_code == 200
    assert WRITE_KEY in shop.text and SERVER_KEY in shop.text
    assert ADMIN_KEY not in shop.text
    product = await web.get("/shop/products/p00001")
    assert product.status_code == 200
    assert (await web.get("/shop/products/nope")).status_code == 404

    web_app.state.demo = False
    for path in ("/shop", "/shop/products/p00001", "/shop/cart"):
        closed = await web.get(path)
        assert closed.status_code == 404
        assert WRITE_KEY not in closed.text and SERVER_KEY not in closed.text
    # The tracker itself is a public file: a retailer's own pages load it.
    assert (await web.get("/static/shopstream.js")).status_code == 200


# -- associates: one store each --------------------------------------------------------------------


async def test_an_associate_signs_in_to_their_own_store_only(web: httpx.AsyncClient) -> None:
    assert (await sign_in(web, NYC, NYC_ID, "0000")).status_code == 401
    assert (await sign_in(web, CHI, NYC_ID, NYC_PIN)).status_code == 401  # not her store
    assert (await sign_in(web, NYC, "a-999", NYC_PIN)).status_code == 401
    assert "shopstream_associate" not in web.cookies

    signed = await sign_in(web, NYC, NYC_ID, NYC_PIN)
    assert signed.status_code == 303
    assert signed.headers["location"] == f"/associate/stores/{NYC}"
    cookie = signed.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert (await web.get("/associate")).headers["location"] == f"/associate/stores/{NYC}"
    page = await web.get(f"/associate/stores/{NYC}")
    assert page.status_code == 200
    assert NYC_NAME in page.text

    await web.post("/associate/sign-out")
    assert (await web.get(f"/v1/associate/stores/{NYC}/products?q=kettle")).status_code == 401


async def test_an_associate_of_one_store_gets_403_on_another_stores_view(
    web: httpx.AsyncClient,
) -> None:
    assert (await sign_in(web, NYC, NYC_ID, NYC_PIN)).status_code == 303
    assert (await web.get(f"/associate/stores/{CHI}")).status_code == 403
    for api in STORE_APIS:
        response = await web.get(f"/v1/associate/stores/{CHI}{api}")
        assert response.status_code == 403, api
        assert response.json()["code"] == "forbidden"
    assert (await web.get(f"/v1/associate/stores/{NYC}/products?q=kettle")).status_code == 200


async def test_a_tampered_or_misused_cookie_is_refused(web: httpx.AsyncClient) -> None:
    await sign_in(web, NYC, NYC_ID, NYC_PIN)
    token = web.cookies["shopstream_associate"]
    payload, mac = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["s"] = CHI  # move herself to Chicago
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    web.cookies.clear()
    web.cookies.set("shopstream_associate", f"{forged}.{mac}")
    assert (await web.get(f"/v1/associate/stores/{CHI}/products?q=kettle")).status_code == 401
    # A dashboard cookie is signed for another purpose: it opens no store.
    web.cookies.clear()
    await web.post("/dashboard/sign-in", data={"key": ADMIN_KEY})
    web.cookies.set("shopstream_associate", web.cookies["shopstream_admin"])
    assert (await web.get(f"/v1/associate/stores/{NYC}/products?q=kettle")).status_code == 401


async def test_five_wrong_pins_lock_the_associate_out(web: httpx.AsyncClient) -> None:
    for _ in range(5):
        assert (await sign_in(web, CHI, CHI_ID, "9999")).status_code == 401
    assert (await sign_in(web, CHI, CHI_ID, CHI_PIN)).status_code == 401
    # Others are not locked out by her mistakes.
    assert (await sign_in(web, NYC, NYC_ID, NYC_PIN)).status_code == 303


# -- the associate's view: look-up, audit, stock and zones ------------------------------------------------


async def test_lookup_by_loyalty_id_email_phone_or_name(
    web: httpx.AsyncClient, catalogue: Any
) -> None:
    found = await ana(web, in_stock_at(catalogue, NYC))
    await sign_in(web, NYC, NYC_ID, NYC_PIN)
    for query in (
        "L-0042",
        "l-0042",
        "ana.silva@example.com",
        "212-555-0142",
        "ana",
        "silva",
        "ANA SIL",
    ):
        response = await web.get(f"/v1/associate/stores/{NYC}/customers", params={"q": query})
        assert response.status_code == 200
        hits = response.json()["customers"]
        assert [h["customerId"] for h in hits] == [found["customerId"]], query
        assert hits[0]["name"] == "Ana Sílva"
        assert hits[0]["hereNow"] is True
    nobody = await web.get(f"/v1/associate/stores/{NYC}/customers", params={"q": "zed"})
    assert nobody.json()["customers"] == []


async def test_every_profile_view_is_audit_logged(web: httpx.AsyncClient, catalogue: Any) -> None:
    product_id = in_stock_at(catalogue, NYC)
    customer_id = (await ana(web, product_id))["customerId"]
    assert (await web.get("/v1/audit", headers=ADMIN)).json()["entries"] == []

    await sign_in(web, NYC, NYC_ID, NYC_PIN)
    view = await web.get(f"/v1/associate/stores/{NYC}/customers/{customer_id}")
    assert view.status_code == 200
    body = view.json()
    assert body["name"] == "Ana Sílva"
    assert body["presence"]["here"] is True
    [line] = body["cart"]["lines"]
    assert line["productId"] == product_id and line["quantity"] == 2
    assert line["stockHere"] > 0
    assert line["zone"]["id"].startswith("z-")

    entries = (await web.get("/v1/audit", headers=ADMIN)).json()["entries"]
    assert [
        (e["actor"], e["role"], e["storeId"], e["customerId"], e["action"]) for e in entries
    ] == [(NYC_ID, "associate", NYC, customer_id, "profile.view")]
    assert entries[0]["at"]
    # A refused view (another store) writes nothing; a missing customer is a 404.
    assert (await web.get(f"/v1/associate/stores/{CHI}/customers/{customer_id}")).status_code == 403
    assert (await web.get(f"/v1/associate/stores/{NYC}/customers/nobody")).status_code == 404
    filtered = await web.get("/v1/audit", headers=ADMIN, params={"customerId": customer_id})
    assert len(filtered.json()["entries"]) == 1
    assert (await web.get("/v1/audit", headers=ADMIN, params={"actor": CHI_ID})).json()[
        "entries"
    ] == []


async def test_recommendations_for_the_associate_carry_stock_and_zone(
    web: httpx.AsyncClient, catalogue: Any
) -> None:
    customer_id = (await ana(web, in_stock_at(catalogue, NYC)))["customerId"]
    await sign_in(web, NYC, NYC_ID, NYC_PIN)
    response = await web.get(f"/v1/associate/stores/{NYC}/customers/{customer_id}/recommendations")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["decisionId"]
    assert body["items"], body
    for item in body["items"]:
        assert {"productId", "name", "reason", "score", "stockHere", "zone"} <= item.keys()
    assert any(item["stockHere"] > 0 and item["zone"] for item in body["items"])
    actions = [e["action"] for e in (await web.get("/v1/audit", headers=ADMIN)).json()["entries"]]
    assert actions == ["recommendations.view"]


async def test_catalogue_search_shows_stock_by_store(web: httpx.AsyncClient) -> None:
    await sign_in(web, NYC, NYC_ID, NYC_PIN)
    response = await web.get(f"/v1/associate/stores/{NYC}/products", params={"q": "kettle"})
    products = response.json()["products"]
    assert products
    for product in products:
        assert {
            "productId",
            "name",
            "stockHere",
            "zone",
            "stockOnline",
            "otherStores",
        } <= product.keys()
        assert all(s["storeId"] != NYC and s["quantity"] > 0 for s in product["otherStores"])
    assert any(p["zone"] for p in products)


# -- the dashboard ----------------------------------------------------------------------------------------


async def test_dashboard_signs_in_with_an_admin_key_only(web: httpx.AsyncClient) -> None:
    for key in ("", "nope", SERVER_KEY, WRITE_KEY):
        response = await web.post("/dashboard/sign-in", data={"key": key})
        assert response.status_code == 401, key
        assert "shopstream_admin" not in web.cookies
    signed = await web.post("/dashboard/sign-in", data={"key": ADMIN_KEY})
    assert signed.status_code == 303
    assert ADMIN_KEY not in web.cookies["shopstream_admin"]
    assert "rates-chart" in (await web.get("/dashboard")).text
    assert (await web.get("/v1/dashboard")).status_code == 200
    await web.post("/dashboard/sign-out")
    assert (await web.get("/v1/dashboard")).status_code == 401


async def test_dashboard_counts_events_funnel_and_orders(web: httpx.AsyncClient) -> None:
    web_ctx = {"channel": "web"}
    pos = {"channel": "pos"}
    messages: list[dict[str, Any]] = []
    for shopper in ("s1", "s2", "s3"):
        messages.append(
            {
                "type": "track",
                "anonymousId": shopper,
                "event": "Product Viewed",
                "properties": {"product_id": "p00001"},
                "context": web_ctx,
            }
        )
    messages.append(
        {
            "type": "track",
            "anonymousId": "s1",
            "event": "Product Added",
            "properties": {"product_id": "p00001"},
            "context": web_ctx,
        }
    )
    order = {"order_id": "o1", "total": 42.5, "products": [{"product_id": "p00001"}]}
    messages.append(
        {
            "type": "track",
            "anonymousId": "s1",
            "event": "Order Completed",
            "properties": order,
            "context": pos,
        }
    )
    messages.append(
        {
            "type": "track",
            "anonymousId": "s1",
            "event": "Order Completed",
            "properties": order,
            "context": web_ctx,
        }
    )  # the same order, reported twice
    messages.append(
        {
            "type": "track",
            "anonymousId": "s2",
            "event": "Products Searched",
            "properties": {"query": "Linen  Shirt"},
            "context": web_ctx,
        }
    )
    await send(web, *messages)

    async def fetch() -> dict[str, Any]:
        return (await web.get("/v1/dashboard", headers=ADMIN)).json()

    data = await eventually(fetch, lambda d: d["kpis"]["orders"] == 1)
    assert [(s["stage"], s["shoppers"]) for s in data["funnel"]] == [
        ("view", 3),
        ("cart", 1),
        ("checkout", 0),
        ("order", 1),
    ]
    assert data["kpis"] == {
        "orders": 1,
        "revenue": 42.5,
        "shoppers": 3,
        "buyers": 1,
        "conversion": round(1 / 3, 4),
    }
    assert sum(data["rates"]["channels"]["web"]) == 6
    assert sum(data["rates"]["channels"]["pos"]) == 1
    assert len(data["rates"]["total"]) == 120
    products = data["rising"]["products"]
    assert products["items"][0]["key"] == "p00001"
    assert products["items"][0]["name"]
    assert [i["key"] for i in data["rising"]["searches"]["items"]] == ["linen shirt"]
    day = (await web.get("/v1/dashboard", headers=ADMIN, params={"window": "1d"})).json()
    assert day["kpis"]["orders"] == 1
    assert (
        await web.get("/v1/dashboard", headers=ADMIN, params={"window": "1y"})
    ).status_code == 400
