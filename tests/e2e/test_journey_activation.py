"""The whole loop through HTTP on a real server: an event fires a trigger, the deliverer
sends the signed webhook (or holds it back for the experiment's holdout), the shopper
orders, and the reports and the experiment's results show it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from shopstream.events import Identifier, IdType
from shopstream.identity import canonical_id
from shopstream.measure.experiment_config import parse_experiments
from shopstream.testing import Namespace, ServerProcess, WebhookSink, scaled_out

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]

SECRET = "whsec_loop"
FILES = {
    "triggers.yaml": "triggers:\n  - {id: coupon-thanks, type: event, on: Coupon Applied,"
                     " offers: [thanks]}\n",
    "offers.yaml": "offers:\n  - {id: thanks, kind: message, channels: [webhook],"
                   " content: {title: Thanks}}\n",
    "experiments.yaml": """\
experiments:
  - id: thanks-test
    variants: {treated: 1}
    holdout: 0.5
    control: holdout
    start: 2026-01-01T00:00:00Z
    exposure: {triggers: [coupon-thanks]}
    look_hours: 1
""",
}  # fmt: skip
SPEC = parse_experiments(FILES["experiments.yaml"]).experiments[0]
USERS = [f"loop-{i}" for i in range(12)]


def eventually(fetch: Callable[[], Any], check: Callable[[Any], bool], timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if check(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


@pytest.mark.parametrize("backend", ["embedded", "scaleout"], indirect=True)
def test_trigger_to_webhook_to_report(tmp_path: Path, scaleout: Namespace | None) -> None:
    config = tmp_path / "config"
    config.mkdir()
    for name, text in FILES.items():
        (config / name).write_text(text)
    with WebhookSink(SECRET) as sink:
        (config / "channels.yaml").write_text(
            f"channels:\n  webhook: {{url: '{sink.url}', secret: {SECRET}}}\n"
        )
        env = {"SHOPSTREAM_DECIDE_CONFIG_DIR": str(config)}
        process = ServerProcess(tmp_path / "data", extra_env=env)
        if scaleout is not None:
            scaled_out(process, scaleout)
        with process as server:
            _loop(server, sink)


def _loop(server: ServerProcess, sink: WebhookSink) -> None:
    customers = {u: canonical_id(Identifier(IdType.USER_ID, u)) for u in USERS}
    held = {u for u, c in customers.items() if SPEC.arm_of(c) == "holdout"}
    assert 0 < len(held) < len(USERS)
    with (
        httpx.Client(base_url=server.url, auth=(server.write_key, ""), timeout=10) as http,
        httpx.Client(base_url=server.url, headers=server.admin_headers(), timeout=10) as ops,
    ):
        for user in USERS:
            event = {"type": "track", "event": "Coupon Applied", "userId": user,
                     "context": {"channel": "web"}, "properties": {"coupon_id": "c1"}}  # fmt: skip
            assert http.post("/v1/track", json=event).status_code == 200
        outbox = eventually(lambda: ops.get("/v1/outbox").json(),
                            lambda o: o["counts"]["pending"] == 0 and len(o["entries"]) == 12)  # fmt: skip
        assert outbox["counts"] == {"pending": 0, "delivered": 12 - len(held), "dead": len(held)}
        dead = {e["customerId"]: e["lastError"] for e in outbox["entries"] if e["status"] == "dead"}
        assert dead == {customers[u]: "held out by experiment thanks-test" for u in held}

        assert sink.wait_for(12 - len(held), timeout=10)
        arrived = {a.body["customerId"] for a in sink.arrivals}
        assert arrived == {customers[u] for u in USERS if u not in held}
        assert all(a.body["triggerId"] == "coupon-thanks" for a in sink.arrivals)
        assert sink.bad_signatures == 0

        buyer = next(u for u in USERS if u not in held)
        order = {"type": "track", "event": "Order Completed", "userId": buyer,
                 "context": {"channel": "web"}, "properties": {"order_id": "o-1", "total": 42.0}}  # fmt: skip
        assert http.post("/v1/track", json=order).status_code == 200
        report = eventually(
            lambda: ops.get("/v1/reports/attribution").json(),
            lambda r: r["conversions"] == 1)  # fmt: skip
        assert report["byChannel"] == [{"channel": "webhook", "conversions": 1.0, "revenue": 42.0}]
        assert report["byTrigger"] == [
            {"trigger": "coupon-thanks", "conversions": 1.0, "revenue": 42.0}]  # fmt: skip

        results = ops.get("/v1/experiments/thanks-test/results").json()
        arms = {a["arm"]: a for a in results["arms"]}
        assert (arms["holdout"]["customers"], arms["treated"]["customers"]) == (
            len(held), 12 - len(held))  # fmt: skip
        assert (arms["treated"]["converters"], arms["treated"]["revenue"]) == (1, 42.0)
