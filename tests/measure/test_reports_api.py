"""Reports through HTTP on journeys computed by hand.

Customer A browses anonymously, identifies, is sent a cart-abandon email (delivered), opens
it, clicks its link, clicks an ad, then orders (100). B opens a back-in-stock push and
orders a day later (60), reported by the till and again by the app. C orders (50) with no
touch at all. D views and adds to cart. T is 2026-11-20 10:00 UTC.

Touches in A's 7-day window before the order, in time order: the delivered email
(email/email/10off/cart-abandon, T+30m), the link click (same key, T+1h), the ad click
(ads/ads/spring, T+2h). So for order o1 (100):
  last     -> ads 1.0 (100)
  first    -> email 1.0 (100)
  linear   -> email 2/3 (66.67), ads 1/3 (33.33)
B's push open (push/push/(none)/back-in-stock, T) earns o2 (60) whole under any model with
a 7-day lookback, and nothing with half a day. C's 50 is unattributed.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from shopstream.decide import Activation
from shopstream.deliver import OutcomeStatus
from shopstream.events import Identifier, IdType
from shopstream.identity import canonical_id

pytestmark = pytest.mark.parametrize("backend", ["embedded", "scaleout"], indirect=True)

T = datetime(2026, 11, 20, 10, tzinfo=UTC)
WINDOW = {"start": "2026-11-20T00:00:00Z", "end": "2026-11-25T00:00:00Z"}


def at(**delta: float) -> str:
    return (T + timedelta(**delta)).isoformat()


def track(who: dict[str, str], event: str, when: str, channel: str = "web",
          **props: Any) -> dict[str, Any]:  # fmt: skip
    return {"type": "track", **who, "event": event, "timestamp": when,
            "context": {"channel": channel}, "properties": props}  # fmt: skip


A_ANON, A = {"anonymousId": "a-anon"}, {"userId": "uA"}
B, C, D = {"userId": "uB"}, {"userId": "uC"}, {"userId": "uD"}
EVENTS = [
    track(A_ANON, "Product Viewed", at(), product_id="p1"),
    {"type": "identify", **A_ANON, **A, "timestamp": at(minutes=1), "traits": {"name": "A"}},
    track(A, "Email Opened", at(minutes=50), "email", trigger_id="cart-abandon", offer_id="10off"),
    track(A, "Email Link Clicked", at(hours=1), "email", trigger_id="cart-abandon",
          offer_id="10off"),
    track(A, "Ad Clicked", at(hours=2), "ads", offer_id="spring"),
    track(A, "Product Added", at(hours=2.5), product_id="p1"),
    track(A, "Checkout Started", at(hours=2.75)),
    track(A, "Order Completed", at(hours=3), order_id="o1", total=100.0),
    track(B, "Push Opened", at(), "push", trigger_id="back-in-stock"),
    track(B, "Order Completed", at(days=1), "pos", order_id="o2", revenue=60.0),
    track(B, "Order Completed", at(days=1, minutes=1), "app", order_id="o2", revenue=60.0),
    track(C, "Order Completed", at(hours=5), order_id="o3",
          products=[{"product_id": "p9", "price": 25.0, "quantity": 2}]),
    track(D, "Product Viewed", at(hours=1), product_id="p2"),
    track(D, "Product Added", at(hours=2), product_id="p2"),
]  # fmt: skip


async def _setup(client: httpx.AsyncClient, writer: tuple[str, str]) -> None:
    sent = await client.post("/v1/batch", json={"batch": EVENTS}, auth=writer)
    assert sent.status_code == 200, sent.text
    transport = client._transport
    assert isinstance(transport, httpx.ASGITransport)
    engine = transport.app.state.engine  # type: ignore[attr-defined]
    a = canonical_id(Identifier(IdType.USER_ID, "uA"))
    b = canonical_id(Identifier(IdType.USER_ID, "uB"))
    engine.outbox.put([
        Activation("k-email-a", a, "email", "message", "cart-abandon", "10off", "d1", {}, T),
        Activation("k-sms-b", b, "sms", "message", "back-in-stock", None, "d2", {}, T),
    ])  # fmt: skip
    engine.outbox.delivered("k-email-a", OutcomeStatus.SENT, now=T + timedelta(minutes=30))
    engine.outbox.dead("k-sms-b", error="consent to sms not given", now=T)
    for _ in range(200):
        if len(engine.outcomes.between(T - timedelta(days=1), T + timedelta(days=3))) >= 13:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the events were not processed")


def credit(rows: list[dict[str, Any]], name: str, key: str) -> tuple[float, float]:
    [row] = [r for r in rows if r[name] == key]
    return (round(row["conversions"], 4), round(row["revenue"], 2))


async def test_attribution_models_on_hand_computed_journeys(
    client: httpx.AsyncClient, writer: tuple[str, str], admin: dict[str, str]
) -> None:
    await _setup(client, writer)

    async def report(**params: Any) -> dict[str, Any]:
        answer = await client.get("/v1/reports/attribution", params={**WINDOW, **params},
                                  headers=admin)  # fmt: skip
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    last = await report(model="last")
    assert (last["customers"], last["conversions"], last["revenue"]) == (3, 3, 210.0)
    assert last["unattributed"] == {"conversions": 1.0, "revenue": 50.0}
    assert credit(last["byChannel"], "channel", "ads") == (1.0, 100.0)
    assert credit(last["byChannel"], "channel", "push") == (1.0, 60.0)
    assert credit(last["byTrigger"], "trigger", "back-in-stock") == (1.0, 60.0)
    assert credit(last["byOffer"], "offer", "spring") == (1.0, 100.0)

    first = await report(model="first")
    assert credit(first["byChannel"], "channel", "email") == (1.0, 100.0)
    assert credit(first["byTrigger"], "trigger", "cart-abandon") == (1.0, 100.0)

    linear = await report(model="linear")
    assert credit(linear["byChannel"], "channel", "email") == (0.6667, 66.67)
    assert credit(linear["byChannel"], "channel", "ads") == (0.3333, 33.33)
    assert credit(linear["byPlacement"], "placement", "email") == (0.6667, 66.67)
    assert credit(linear["byOffer"], "offer", "10off") == (0.6667, 66.67)

    # Time decay with a 1-hour half-life: the touches are 150, 120 and 60 minutes before
    # the order: weights 2^-2.5, 2^-2, 2^-1, normalised.
    w = [2**-2.5, 2**-2, 2**-1]
    decay = await report(model="time_decay", halfLifeHours=1)
    email = (w[0] + w[1]) / sum(w)
    assert credit(decay["byChannel"], "channel", "email") == (round(email, 4),
                                                              round(100 * email, 2))  # fmt: skip

    # Position based 40/20/40 over three touches: email gets 0.4 + 0.2, ads 0.4.
    position = await report(model="position")
    assert credit(position["byChannel"], "channel", "email") == (0.6, 60.0)

    short = await report(model="last", lookbackDays=0.5)
    assert short["unattributed"] == {"conversions": 2.0, "revenue": 110.0}


async def test_funnel_and_channel_kpis(
    client: httpx.AsyncClient, writer: tuple[str, str], admin: dict[str, str]
) -> None:
    await _setup(client, writer)
    funnel = (await client.get("/v1/reports/funnel", params=WINDOW, headers=admin)).json()
    assert [(s["stage"], s["customers"]) for s in funnel["stages"]] == [
        ("view", 2), ("cart", 2), ("checkout", 1), ("order", 1),
    ]  # fmt: skip
    assert funnel["stages"][2]["rate"] == 0.5
    assert funnel["overall"] == 0.5

    answer = await client.get("/v1/reports/channels", params={**WINDOW, "model": "linear"},
                              headers=admin)  # fmt: skip
    rows = {r["channel"]: r for r in answer.json()["channels"]}
    email = rows["email"]
    assert (email["sent"], email["opened"], email["clicked"]) == (1, 1, 1)
    assert (email["openRate"], email["clickRate"]) == (1.0, 1.0)
    assert email["attributedRevenue"] == 66.67
    assert (rows["sms"]["dead"], rows["sms"]["openRate"]) == (1, None)
    assert (rows["web"]["orders"], rows["web"]["orderRevenue"]) == (2, 150.0)
    assert (rows["pos"]["orders"], rows["pos"]["orderRevenue"]) == (1, 60.0)
    assert "app" not in rows  # the app's report of o2 repeats the till's
    assert rows["push"]["clicked"] == 1


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("attribution", {"model": "magic"}, "query.model"),
        ("attribution", {"lookbackDays": "-1"}, "query.lookbackDays"),
        ("attribution", {"start": "yesterday"}, "query.start"),
        ("channels", {"start": "2026-11-25T00:00:00Z", "end": "2026-11-20T00:00:00Z"},
         "query.end"),
        ("attribution", {"model": "position", "first": "0.7", "last": "0.5"}, "query.last"),
        ("funnel", {"end": "2026-13-01"}, "query.end"),
    ],
)  # fmt: skip
async def test_bad_parameters_are_400_naming_the_field(
    client: httpx.AsyncClient, admin: dict[str, str], path: str, params: dict[str, str],
    field: str,
) -> None:  # fmt: skip
    answer = await client.get(f"/v1/reports/{path}", params=params, headers=admin)
    assert answer.status_code == 400
    assert answer.json()["field"] == field


async def test_reports_need_a_server_or_admin_key(
    client: httpx.AsyncClient, writer: tuple[str, str]
) -> None:
    assert (await client.get("/v1/reports/funnel")).status_code == 401
    assert (await client.get("/v1/reports/funnel", auth=writer)).status_code == 403
    server = {"Authorization": "Bearer sk_test"}
    assert (await client.get("/v1/reports/funnel", headers=server)).status_code == 200


async def test_answers_served_are_counted_per_channel(
    client: httpx.AsyncClient, writer: tuple[str, str], admin: dict[str, str]
) -> None:
    await client.post("/v1/identify", json={"userId": "u-served"}, auth=writer)
    for channel in ("web", "web", "app"):
        asked = await client.post(
            "/v1/recommendations", headers=admin,
            json={"customer": {"type": "userId", "id": "u-served"}, "placement": "home",
                  "channel": channel},
        )  # fmt: skip
        assert asked.status_code == 200, asked.text
    rows = (await client.get("/v1/reports/channels", headers=admin)).json()["channels"]
    served = {r["channel"]: r["served"] for r in rows}
    assert (served["web"], served["app"]) == (2, 1)
