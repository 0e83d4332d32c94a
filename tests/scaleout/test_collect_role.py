"""``serve --role collect``: stateless collectors in front of a full ``serve``.

Two collect-only processes take events with the unmodified Segment SDK; they hold no live
state and answer no reads but the log's; a full ``serve`` on the same Redis and PostgreSQL
shows the shoppers the collectors took in.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from segment.analytics import Client as SegmentClient

from shopstream.testing import POSTGRES_URL, REDIS_URL, Namespace, ServerProcess, scaleout_namespace

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.timeout(180)]

SHOPPERS = 20
EVENTS_EACH = 15


@pytest.fixture
def namespace() -> Iterator[Namespace]:
    with scaleout_namespace() as ns:
        yield ns


def _server(data: Path, ns: Namespace, *role: str) -> ServerProcess:
    server = ServerProcess(
        data, extra_args=["--redis", REDIS_URL, "--postgres", POSTGRES_URL, *role]
    )
    server.extra_env.update(
        SHOPSTREAM_REDIS_PREFIX=ns.prefix, SHOPSTREAM_POSTGRES_SCHEMA=ns.schema,
        SHOPSTREAM_PARTITIONS="4",
    )  # fmt: skip
    return server


def test_collect_only_servers_feed_a_full_server(tmp_path: Path, namespace: Namespace) -> None:
    collectors = [_server(tmp_path / f"c{n}", namespace, "--role", "collect") for n in range(2)]
    full = _server(tmp_path / "full", namespace)
    for server in (*collectors, full):
        server.start()
    try:
        for n, collector in enumerate(collectors):
            client = SegmentClient(write_key=collector.write_key, host=collector.url,
                                   upload_size=50, sync_mode=False)  # fmt: skip
            for shopper in range(n, SHOPPERS, 2):
                for i in range(EVENTS_EACH):
                    client.track(user_id=f"shopper-{shopper}", event="Product Viewed",
                                 properties={"product_id": f"p{i}"},
                                 message_id=f"s{shopper}-{i}")  # fmt: skip
            client.flush()
            client.join()
        with httpx.Client(base_url=collectors[0].url, timeout=30) as http:
            # Nothing but collection, health and the log: no state to read, none kept.
            profile = http.get(
                "/v1/profiles/userId/shopper-0", headers=collectors[0].server_headers()
            )
            assert profile.status_code == 404
            assert http.get("/readyz").status_code == 200
            events = http.get("/v1/events", params={"limit": 1000},
                              headers=collectors[0].admin_headers()).json()["events"]  # fmt: skip
        assert len(events) == SHOPPERS * EVENTS_EACH
        with httpx.Client(base_url=full.url, timeout=30, headers=full.server_headers()) as http:
            for shopper in range(SHOPPERS):
                url = f"/v1/profiles/userId/shopper-{shopper}/events"
                deadline = time.monotonic() + 30
                while (answer := http.get(url)).status_code != 200 or len(
                    answer.json()["events"]
                ) < EVENTS_EACH:
                    assert time.monotonic() < deadline, (url, answer.text[:300])
                    time.sleep(0.1)
                assert len(answer.json()["events"]) == EVENTS_EACH
    finally:
        for server in (*collectors, full):
            server.stop()
