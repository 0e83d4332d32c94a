"""A marketer's activations reach every channel (through HTTP, on a real server).

A shopper identifies with contact details and consent; fired triggers' activations are in
the outbox; the server delivers an email through the provider's webhook (rendered from
the profile and the recommended items, signed), an alert that the store's associate app
gets as a server-sent event and by polling, and an ad-audience membership that is exported
as a Customer Match CSV. The outbox then shows each delivered.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
import pytest

from shopstream.core import CustomerId
from shopstream.decide import Activation
from shopstream.storage.postgres import PostgresOutbox
from shopstream.storage.sqlite import SQLiteOutbox
from shopstream.testing import POSTGRES_URL, Namespace, ServerProcess, WebhookSink, scaled_out

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(90),
    pytest.mark.parametrize("backend", ["embedded", "scaleout"], indirect=True),
]

SECRET = "whsec_journey"
CHANNELS = """\
channels:
  email:
    url: {url}
    secret_env: JOURNEY_EMAIL_SECRET
    templates:
      default:
        subject: "{{{{ traits.first_name }}}}, your basket misses you"
        body: "{{% for item in items %}}{{{{ item.name }}}} at {{{{ item.price }}}}; {{% endfor %}}"
  associate: {{}}
  audience: {{}}
"""


def test_activations_reach_email_associates_and_ad_audiences(
    tmp_path: Path, scaleout: Namespace | None
) -> None:
    config = tmp_path / "config"
    config.mkdir()
    with WebhookSink(SECRET) as sink:
        (config / "channels.yaml").write_text(CHANNELS.format(url=sink.url))
        env = {"SHOPSTREAM_DECIDE_CONFIG_DIR": str(config), "JOURNEY_EMAIL_SECRET": SECRET}
        process = ServerProcess(tmp_path / "data", extra_env=env)
        if scaleout is not None:
            scaled_out(process, scaleout)

        def open_outbox() -> SQLiteOutbox | PostgresOutbox:
            """The server's own outbox, opened from outside."""
            if scaleout is None:
                return SQLiteOutbox(tmp_path / "data" / "outbox.db", fsync="normal")
            return PostgresOutbox(POSTGRES_URL, scaleout.schema)

        with process as server:
            _journey(server, sink, open_outbox)


def _journey(
    server: ServerProcess,
    sink: WebhookSink,
    open_outbox: Callable[[], SQLiteOutbox | PostgresOutbox],
) -> None:
    admin, staff = server.admin_headers(), server.server_headers()
    with httpx.Client(base_url=server.url, timeout=10) as http:
        products = [{"id": "p1", "name": "Trail boots", "price": 89.0},
                    {"id": "p2", "name": "Wool socks", "price": 12.5}]  # fmt: skip
        assert http.put("/v1/products", json={"products": products},
                        headers=admin).status_code == 200  # fmt: skip
        identify = {"type": "identify", "userId": "u-ada", "traits": {
            "first_name": "Ada", "email": "ada@example.com", "country": "PT",
            "consent": {"email": True, "ads": True}}}  # fmt: skip
        assert http.post("/v1/identify", json=identify, auth=(server.write_key, "")).is_success
        customer = _eventually(lambda: http.get("/v1/profiles/userId/u-ada", headers=staff))
        customer_id = CustomerId(customer.json()["customerId"])

        at = datetime(2026, 11, 25, 10, tzinfo=UTC)
        made = [
            Activation("t-email-1", customer_id, "email", "message", "cart-abandon", "10off",
                       "d1", {"items": ["p1", "p2"]}, at),
            Activation("t-alert-1", customer_id, "associate", "associate_alert", "vip-entered",
                       None, "d2", {"store_id": "s12", "zone_id": "shoes"}, at),
            Activation("t-aud-1", customer_id, "audience", "message", "lapsed", None, "d3",
                       {"audience": "lapsed-vip", "member": True}, at),
        ]  # fmt: skip
        with http.stream("GET", "/v1/associate/stores/s12/alerts/stream", headers=staff) as feed:
            outbox = open_outbox()
            try:
                assert outbox.put(made) == 3  # as fired triggers write them
            finally:
                outbox.close()
            alert = _first_sse(feed, "alert")
        assert (alert["key"], alert["name"], alert["payload"]["zone_id"]) == (
            "t-alert-1", "Ada", "shoes",
        )  # fmt: skip
        polled = http.get("/v1/associate/stores/s12/alerts?after=0", headers=staff).json()
        assert [a["key"] for a in polled["alerts"]] == ["t-alert-1"]
        assert http.get("/v1/associate/stores/s12/alerts").status_code == 401

        assert sink.wait_for(1, timeout=10)
        email = sink.arrivals[0].body
        assert (email["to"], email["subject"]) == ("ada@example.com", "Ada, your basket misses you")
        assert email["body"] == "Trail boots at 89.0; Wool socks at 12.5;"

        state = _eventually(lambda: http.get("/v1/outbox", headers=admin),
                            lambda r: r.json()["counts"]["delivered"] == 3)  # fmt: skip
        assert state.json()["counts"] == {"pending": 0, "delivered": 3, "dead": 0}
        csv = http.get("/v1/audiences/lapsed-vip/export?format=google", headers=admin)
        assert csv.headers["content-type"].startswith("text/csv")
        assert csv.text.splitlines() == [
            "Email,Phone,First Name,Last Name,Country,Zip",
            f"{hashlib.sha256(b'ada@example.com').hexdigest()},,"
            f"{hashlib.sha256(b'ada').hexdigest()},,PT,",
        ]
        assert http.get("/v1/audiences", headers=admin).json() == {
            "audiences": [{"audience": "lapsed-vip", "members": 1}]}  # fmt: skip
        bad = http.get("/v1/audiences/lapsed-vip/export?format=tiktok", headers=admin)
        assert (bad.status_code, bad.json()["field"]) == (400, "query.format")
        unknown = http.get("/v1/audiences/nobody/export", headers=admin)
        assert (unknown.status_code, unknown.json()["field"]) == (404, "audience")


def _eventually(
    fetch: Callable[[], httpx.Response],
    check: Callable[[httpx.Response], bool] = lambda r: r.status_code == 200,
    timeout: float = 10.0,
) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if check(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def _first_sse(feed: httpx.Response, name: str) -> dict[str, object]:
    event = None
    for line in feed.iter_lines():
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: ") and event == name:
            data: dict[str, object] = orjson.loads(line[6:])
            return data
    raise AssertionError("the feed ended without an alert")
