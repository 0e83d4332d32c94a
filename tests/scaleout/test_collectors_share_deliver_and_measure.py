"""Two ``shopstream serve`` processes on one Redis and PostgreSQL: both follow the log and fire
the same triggers, yet each activation is stored once and delivered once (their deliverers
share the PostgreSQL outbox), each measured event is kept once, and a third process started
after both stopped still sees every delivery and every order."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from shopstream.testing import Namespace, ServerProcess, WebhookSink, scaled_out, scaleout_namespace

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.timeout(180)]

SECRET = "whsec_collectors"
TRIGGERS = """\
triggers:
  - id: thanks
    type: event
    on: Order Completed
    offers: [thanks-hook]
"""
OFFERS = """\
offers:
  - {id: thanks-hook, kind: message, channels: [webhook], content: {title: Thanks}}
"""
CHANNELS = "channels:\n  webhook: {{url: '{url}', secret: {secret}}}\n"
ORDERS = 12
WINDOW = {"start": "2000-01-01T00:00:00Z", "end": "2100-01-01T00:00:00Z"}


@pytest.fixture
def namespace() -> Iterator[Namespace]:
    with scaleout_namespace() as ns:
        yield ns


def _eventually(
    fetch: Callable[[], Any], check: Callable[[Any], bool], timeout: float = 20.0
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if check(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def _report(server: ServerProcess) -> tuple[dict[str, Any], dict[str, Any]]:
    """The outbox and the channels report as ``server`` sees them."""
    outbox = httpx.get(f"{server.url}/v1/outbox", params={"limit": 1000},
                       headers=server.admin_headers()).json()  # fmt: skip
    channels = httpx.get(f"{server.url}/v1/reports/channels", params=WINDOW,
                         headers=server.admin_headers()).json()  # fmt: skip
    return outbox, {row["channel"]: row for row in channels["channels"]}


def test_two_collectors_deliver_and_measure_once(tmp_path: Path, namespace: Namespace) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "triggers.yaml").write_text(TRIGGERS)
    (config / "offers.yaml").write_text(OFFERS)
    with WebhookSink(SECRET) as sink:
        (config / "channels.yaml").write_text(CHANNELS.format(url=sink.url, secret=SECRET))

        def collector(name: str) -> ServerProcess:
            process = ServerProcess(tmp_path / name, extra_args=["--config-dir", str(config)])
            return scaled_out(process, namespace)

        with collector("a") as a, collector("b") as b:
            orders = [{"type": "track", "userId": f"shopper-{i}", "event": "Order Completed",
                       "properties": {"order_id": f"o-{i}", "total": 10.0 + i},
                       "context": {"channel": "web"}}
                      for i in range(ORDERS)]  # fmt: skip
            for i, server in enumerate((a, b)):  # half the traffic through each
                sent = httpx.post(f"{server.url}/v1/batch", json={"batch": orders[i::2]},
                                  auth=(server.write_key, ""))  # fmt: skip
                assert sent.status_code == 200, sent.text
            assert sink.wait_for(ORDERS, timeout=30)
            time.sleep(1.0)  # time for a second delivery of any key to arrive, if one would
            assert len(sink.accepted) == ORDERS
            assert set(sink.attempts.values()) == {1}  # no activation sent twice
            for server in (a, b):
                outbox, channels = _eventually(
                    lambda s=server: _report(s),
                    lambda r: (
                        r[0]["counts"]["delivered"] == ORDERS
                        and r[1].get("web", {}).get("orders") == ORDERS
                    ),
                )
                assert outbox["counts"] == {"pending": 0, "delivered": ORDERS, "dead": 0}
                assert len(outbox["entries"]) == ORDERS
                assert channels["web"]["orders"] == ORDERS
                assert channels["web"]["orderRevenue"] == sum(10.0 + i for i in range(ORDERS))
                assert channels["webhook"]["delivered"] == ORDERS

        # Both stopped (their state saved at the last offset): a new process replays nothing,
        # and finds every delivery and order in PostgreSQL.
        with collector("c") as c:
            outbox, channels = _report(c)
            assert outbox["counts"] == {"pending": 0, "delivered": ORDERS, "dead": 0}
            assert channels["web"]["orders"] == ORDERS
            assert channels["webhook"]["delivered"] == ORDERS
        assert set(sink.attempts.values()) == {1}
