"""``POST /v1/decide`` and ``GET/PUT /v1/config/{kind}`` through HTTP (in-process app)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from shopstream import Engine, Settings
from shopstream.api import KeyRing, create_app

SERVER = {"Authorization": "Bearer sk_test"}
ADMIN = {"Authorization": "Bearer ak_test"}
OFFERS = """\
eligibility:
  caps: {email: 1}
offers:
  - id: welcome
    channels: [web, email]
    eligibility: "order_count == 0"
    content: {title: Welcome}
  - id: loyal
    channels: [web]
    eligibility: "order_count >= 1"
  - id: email-only
    channels: [email]
  - id: over
    channels: [web]
    end: 2020-01-01T00:00:00Z
"""


pytestmark = pytest.mark.parametrize("backend", ["embedded", "scaleout"], indirect=True)


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
        yield http, engine


async def test_put_validates_and_names_file_line_and_field(
    app: tuple[httpx.AsyncClient, Engine],
) -> None:
    http, engine = app
    assert (await http.put("/v1/config/offers", content=OFFERS, headers=ADMIN)).status_code == 200
    bad = "triggers:\n  - id: cart\n    type: absence\n    on: Product Added\n    absent: [Order Completed]\n    within: 30 minutes\n    offers: [welcome]\n"
    response = await http.put("/v1/config/triggers", content=bad, headers=ADMIN)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["field"] == "triggers[0].within"
    assert problem["line"] == 6
    assert problem["file"].endswith("triggers.yaml")
    assert "triggers.yaml:6: triggers[0].within: a duration such as" in problem["detail"]
    # Nothing was written or applied.
    assert not (engine.settings.config_dir / "triggers.yaml").exists()
    got = (await http.get("/v1/config/triggers", headers=ADMIN)).json()
    assert got["items"] == []

    good = bad.replace("30 minutes", "30m")
    response = await http.put("/v1/config/triggers", content=good, headers=ADMIN)
    assert response.status_code == 200, response.text
    assert response.json()["items"][0]["within"] == 1800.0
    assert (engine.settings.config_dir / "triggers.yaml").read_text() == good
    got = (await http.get("/v1/config/triggers", headers=ADMIN)).json()
    assert got["yaml"] == good
    assert [t["id"] for t in got["items"]] == ["cart"]


async def test_config_needs_an_admin_key_and_a_known_kind(
    app: tuple[httpx.AsyncClient, Engine],
) -> None:
    http, _ = app
    assert (await http.get("/v1/config/offers")).status_code == 401
    assert (await http.get("/v1/config/offers", headers=SERVER)).status_code == 403
    response = await http.get("/v1/config/experiments", headers=ADMIN)
    assert response.status_code == 404
    assert response.json()["field"] == "kind"
    response = await http.put("/v1/config/offers", content=b"\xff\xfe", headers=ADMIN)
    assert (response.status_code, response.json()["field"]) == (400, "body")


async def test_files_changed_on_disk_are_reloaded(app: tuple[httpx.AsyncClient, Engine]) -> None:
    http, engine = app
    folder = engine.settings.config_dir
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "segments.yaml").write_text("segments:\n  - id: vip\n    when: 'revenue >'\n")

    async def segments() -> dict[str, object]:
        response: dict[str, object] = (await http.get("/v1/config/segments", headers=ADMIN)).json()
        return response

    for _ in range(200):
        got = await segments()
        if got["fileError"]:
            break
        await asyncio.sleep(0.02)
    assert "segments.yaml:3: segments[0].when:" in str(got["fileError"])
    assert got["items"] == []  # the invalid file is not applied
    (folder / "segments.yaml").write_text("segments:\n  - id: vip\n    when: 'revenue > 100'\n")
    for _ in range(200):
        got = await segments()
        if got["items"]:
            break
        await asyncio.sleep(0.02)
    assert got["items"] == [{"id": "vip", "description": "", "when": "revenue > 100"}]
    assert got["fileError"] is None


async def test_decide_ranks_every_eligible_action(app: tuple[httpx.AsyncClient, Engine]) -> None:
    http, engine = app
    assert (await http.put("/v1/config/offers", content=OFFERS, headers=ADMIN)).status_code == 200
    body = {"customer": {"type": "userId", "id": "u1"}, "placement": "home", "channel": "web"}
    assert (await http.post("/v1/decide", json=body)).status_code == 401
    assert (await http.post("/v1/decide", json=body, headers=ADMIN)).status_code == 200
    response = await http.post("/v1/decide", json=body, headers=SERVER)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["decisionId"].startswith("d_")
    assert answer["policy"] == "linucb@1"
    [action] = answer["actions"]
    assert (action["type"], action["id"], action["channel"]) == ("offer", "welcome", "web")
    assert action["propensity"] == 1.0
    assert "order_count == 0" in action["reason"]
    assert action["content"] == {"title": "Welcome"}
    assert {e["id"]: e["reason"] for e in answer["excluded"]} == {
        "loyal": "not eligible: order_count >= 1",
        "email-only": "no channel in common with the offer (email)",
        "over": "offer ended 2020-01-01T00:00:00+00:00",
    }
    engine.exposures.flush()  # type: ignore[union-attr]
    exposures = engine.exposures.of_customer(answer["customerId"], 5)  # type: ignore[union-attr]
    [exposure] = [e for e in exposures if e.decision_id == answer["decisionId"]]
    assert exposure.items == ("welcome",)
    assert exposure.propensities == (1.0,)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"customer": {"type": "shoeSize", "id": "u1"}, "placement": "home"}, "customer.type"),
        ({"customer": {"type": "userId", "id": "u1"}, "placement": "attic"}, "body.placement"),
        ({"customer": {"type": "userId", "id": ""}, "placement": "home"}, "body.customer.id"),
        (
            {"customer": {"type": "userId", "id": "u1"}, "placement": "home", "limit": 0},
            "body.limit",
        ),
        (
            {"customer": {"type": "userId", "id": "u1"}, "placement": "home", "channel": "fax"},
            "body.channel",
        ),
    ],
)
async def test_bad_requests_are_400_naming_the_field(
    app: tuple[httpx.AsyncClient, Engine], body: dict[str, object], field: str
) -> None:
    http, _ = app
    response = await http.post("/v1/decide", json=body, headers=SERVER)
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field
