"""``GET /v1/decisions/{decisionId}`` on both backends: every answer of ``/v1/decide``,
``/v1/recommendations`` and a fired trigger reads back from the decisions log, with its
actions, propensities, context and experiment arms; an unknown id is a 404 problem."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from shopstream import Engine, Settings
from shopstream.api import KeyRing, create_app
from shopstream.core import CustomerId
from shopstream.measure.experiment_config import parse_experiments

pytestmark = pytest.mark.parametrize("backend", ["embedded", "scaleout"], indirect=True)

SERVER = {"Authorization": "Bearer sk_test"}
ADMIN = {"Authorization": "Bearer ak_test"}
OFFERS = """\
offers:
  - {id: welcome, channels: [web], content: {title: Welcome}}
  - {id: thanks, kind: message, channels: [push]}
"""
TRIGGERS = """\
triggers:
  - id: big-order
    type: event
    on: Order Completed
    if: "properties.total >= 100"
    offers: [thanks]
"""
EXPERIMENTS = """\
experiments:
  - id: home-hero
    variants: {a: 1, b: 1}
    start: 2020-01-01T00:00:00Z
    exposure: {placements: [home]}
  - id: thanks-note
    variants: {note: 1}
    holdout: 0.5
    start: 2020-01-01T00:00:00Z
    exposure: {triggers: [big-order]}
  - id: ended
    variants: {x: 1}
    start: 2020-01-01T00:00:00Z
    end: 2020-02-01T00:00:00Z
    exposure: {placements: [home]}
"""
SPECS = parse_experiments(EXPERIMENTS).by_id()


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Engine]]:
    settings = settings.model_copy(update={"decide_tick_seconds": 0.05})
    engine = Engine.from_settings(settings)
    keys, _ = KeyRing.from_settings(settings)
    application = create_app(engine, keys)
    transport = httpx.ASGITransport(app=application)
    async with (
        application.router.lifespan_context(application),
        httpx.AsyncClient(transport=transport, base_url="http://shopstream.test") as http,
    ):
        for path, text in (("/v1/config/offers", OFFERS), ("/v1/config/triggers", TRIGGERS),
                           ("/v1/experiments", EXPERIMENTS)):  # fmt: skip
            response = await http.put(path, content=text, headers=ADMIN)
            assert response.status_code == 200, response.text
        yield http, engine


async def logged(http: httpx.AsyncClient, decision_id: str) -> dict[str, object]:
    response = await http.get(f"/v1/decisions/{decision_id}", headers=SERVER)
    assert response.status_code == 200, response.text
    found: dict[str, object] = response.json()
    return found


async def test_a_decide_answer_reads_back_whole(app: tuple[httpx.AsyncClient, Engine]) -> None:
    http, _ = app
    body = {"customer": {"type": "userId", "id": "u1"}, "placement": "home", "channel": "web",
            "context": {"productId": "p1", "storeId": "s12"}}  # fmt: skip
    answer = (await http.post("/v1/decide", json=body, headers=SERVER)).json()
    decision = await logged(http, answer["decisionId"])
    customer = CustomerId(answer["customerId"])
    assert decision["decisionId"] == answer["decisionId"]
    assert (decision["customerId"], decision["placement"], decision["channel"]) == (
        customer, "home", "web",
    )  # fmt: skip
    assert decision["policy"] == answer["policy"]
    assert decision["context"] == {"productId": "p1", "storeId": "s12"}
    # Running experiments exposed at the placement, not the ended one nor the trigger's.
    assert decision["experiments"] == {"home-hero": SPECS["home-hero"].arm_of(customer)}
    assert [(a["id"], a["propensity"], a["score"], a["reason"]) for a in decision["actions"]] == [
        (a["id"], a["propensity"], a["score"], a["reason"]) for a in answer["actions"]
    ]
    assert answer["actions"], "the welcome offer is eligible on the web"


async def test_an_answer_with_nothing_eligible_is_logged_too(
    app: tuple[httpx.AsyncClient, Engine],
) -> None:
    http, _ = app
    body = {"customer": {"type": "userId", "id": "u2"}, "placement": "cart", "channel": "sms"}
    answer = (await http.post("/v1/decide", json=body, headers=SERVER)).json()
    assert answer["actions"] == []
    decision = await logged(http, answer["decisionId"])
    assert (decision["policy"], decision["actions"], decision["experiments"]) == ("none", [], {})


async def test_recommendations_read_back_as_a_fixed_ranking(
    app: tuple[httpx.AsyncClient, Engine],
) -> None:
    http, _ = app
    products = [{"id": f"p{i}", "name": f"Kettle {i}", "category": "Home > Kitchen",
                 "price": 20.0 + i} for i in range(3)]  # fmt: skip
    assert (await http.put("/v1/products", json={"products": products}, headers=ADMIN)).is_success
    body = {"customer": {"type": "userId", "id": "u3"}, "placement": "product",
            "context": {"productId": "p0"}, "limit": 5}  # fmt: skip
    answer = (await http.post("/v1/recommendations", json=body, headers=SERVER)).json()
    decision = await logged(http, answer["decisionId"])
    assert decision["placement"] == "product"
    assert decision["policy"] == "blend@1"
    assert decision["context"] == {"productId": "p0"}
    assert [a["id"] for a in decision["actions"]] == [i["productId"] for i in answer["items"]]
    assert answer["items"]
    assert [a["propensity"] for a in decision["actions"]] == [1.0] + [0.0] * (
        len(answer["items"]) - 1
    )


async def test_a_fired_trigger_reads_back_by_its_activations_decision_id(
    app: tuple[httpx.AsyncClient, Engine],
) -> None:
    http, engine = app
    order = {"type": "track", "userId": "u4", "event": "Order Completed",
             "messageId": "order-u4", "properties": {"order_id": "o4", "total": 120.0}}  # fmt: skip
    assert (await http.post("/v1/track", json=order, auth=("wk_test", ""))).status_code == 200
    entries = []
    for _ in range(200):
        entries = [e for e in engine.outbox.entries(after=0, limit=10)
                   if e.activation.trigger_id == "big-order"]  # fmt: skip
        if entries:
            break
        await asyncio.sleep(0.02)
    [entry] = entries
    activation = entry.activation
    decision = await logged(http, activation.decision_id)
    assert decision["placement"] == "trigger:big-order"
    assert decision["channel"] == "push"
    assert decision["customerId"] == activation.customer_id
    assert decision["context"] == {"event": "Order Completed", "order_id": "o4"}
    assert decision["experiments"] == {
        "thanks-note": SPECS["thanks-note"].arm_of(activation.customer_id)
    }
    assert [a["id"] for a in decision["actions"]] == ["thanks"]


async def test_unknown_ids_are_404_and_reads_need_a_server_key(
    app: tuple[httpx.AsyncClient, Engine],
) -> None:
    http, _ = app
    response = await http.get("/v1/decisions/d_nope", headers=SERVER)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == "decisionId"
    assert (await http.get("/v1/decisions/d_nope")).status_code == 401
    response = await http.get("/v1/decisions/d_nope", auth=("wk_test", ""))
    assert response.status_code == 403
    assert (await http.get("/v1/decisions/d_nope", headers=ADMIN)).status_code == 404
    for bad in ("d%00x", "d%20x", "x" * 257):
        response = await http.get(f"/v1/decisions/{bad}", headers=SERVER)
        assert response.status_code == 400, response.text
        assert response.json()["field"] == "decisionId"
