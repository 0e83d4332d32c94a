"""Redis or PostgreSQL away during ingest: the collector answers 503 (never 200 without a
durable append), ``/readyz`` says so, the Segment SDK's retries land once the service is back,
and every acknowledged event is in the log exactly once (and in the archive).

Redis is a private ``redis-server`` (AOF, ``appendfsync always``) killed with SIGKILL and
started again on the same files; PostgreSQL goes away behind a TCP proxy the test cuts. The
shared servers other people use are never restarted.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from segment.analytics import Client as SegmentClient

from shopstream.testing import (
    POSTGRES_URL,
    REDIS_URL,
    Namespace,
    RedisServer,
    ServerProcess,
    TcpProxy,
    scaleout_namespace,
)

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.timeout(180)]

EVENTS = 600
OUTAGE_SECONDS = 1.5


@pytest.fixture
def namespace(tmp_path: Path) -> Iterator[Namespace]:
    with scaleout_namespace() as ns:
        yield ns


def scaleout_server(tmp_path: Path, ns: Namespace, redis_url: str, pg_url: str) -> ServerProcess:
    server = ServerProcess(tmp_path / "server-data")
    server.extra_args += ["--redis", redis_url, "--postgres", pg_url]
    server.extra_env.update(
        SHOPSTREAM_REDIS_PREFIX=ns.prefix, SHOPSTREAM_POSTGRES_SCHEMA=ns.schema,
        SHOPSTREAM_PARTITIONS="4",
    )  # fmt: skip
    return server


def ingest_through_an_outage(
    server: ServerProcess, break_: Callable[[], None], mend: Callable[[], None]
) -> list[str]:
    """Send EVENTS with the Segment SDK; break the service a third of the way in, check the
    collector and /readyz refuse, mend it. Returns the message ids sent."""
    errors: list[Exception] = []
    client = SegmentClient(
        write_key=server.write_key, host=server.url, upload_size=25, upload_interval=0.05,
        on_error=lambda error, _batch: errors.append(error),
    )  # fmt: skip
    ids = [f"fault-{i}" for i in range(EVENTS)]

    def send() -> None:
        for i, message_id in enumerate(ids):
            client.track(user_id=f"u{i % 37}", event="Product Viewed",
                         properties={"product_id": f"p{i % 11}"}, message_id=message_id)  # fmt: skip
            time.sleep(0.004)

    sender = threading.Thread(target=send, daemon=True)
    probe = {"type": "track", "event": "Product Viewed", "anonymousId": "probe",
             "messageId": "probe-1", "properties": {"product_id": "p1"}}  # fmt: skip
    try:
        sender.start()
        time.sleep(0.8)
        break_()
        with httpx.Client(base_url=server.url, timeout=30) as http:
            refused = http.post("/v1/track", json=probe, auth=(server.write_key, ""))
            ready = http.get("/readyz")
            assert refused.status_code == 503, refused.text
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert refused.json()["status"] == 503
            assert ready.status_code == 503
            time.sleep(OUTAGE_SECONDS)
            mend()
            sender.join(timeout=60)
            client.flush()
            # The refused request, retried, lands once.
            assert (
                http.post("/v1/track", json=probe, auth=(server.write_key, "")).status_code == 200
            )
            assert http.get("/readyz").status_code == 200
    finally:
        client.shutdown()
    assert not errors, f"the SDK gave up on {len(errors)} batch(es): {errors[0]}"
    return [*ids, "probe-1"]


def logged_ids(server: ServerProcess) -> Counter[str]:
    found: Counter[str] = Counter()
    after = 0
    with httpx.Client(base_url=server.url, headers=server.admin_headers(), timeout=30) as http:
        while True:
            page = http.get("/v1/events", params={"after": after, "limit": 1000}).json()
            if not page["events"]:
                return found
            found.update(e["event"]["messageId"] for e in page["events"])
            after = page["next"]


def archived(ns: Namespace) -> tuple[int, int]:
    with psycopg.connect(POSTGRES_URL, options=f"-c search_path={ns.schema}") as conn:
        row = conn.execute('SELECT count(*), count(DISTINCT "offset") FROM events').fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def assert_exactly_once(server: ServerProcess, ns: Namespace, ids: list[str]) -> None:
    found = logged_ids(server)
    assert set(found) == set(ids), f"missing: {sorted(set(ids) - set(found))[:5]}"
    assert max(found.values()) == 1, f"twice: {[k for k, n in found.items() if n > 1][:5]}"
    assert archived(ns) == (len(ids), len(ids))


def test_redis_killed_and_restarted_during_ingest(tmp_path: Path, namespace: Namespace) -> None:
    with RedisServer(tmp_path / "redis") as redis_server:
        server = scaleout_server(tmp_path, namespace, redis_server.url, POSTGRES_URL)
        with server:
            ids = ingest_through_an_outage(server, redis_server.kill, redis_server.start)
            assert_exactly_once(server, namespace, ids)


def test_postgres_away_and_back_during_ingest(tmp_path: Path, namespace: Namespace) -> None:
    host = POSTGRES_URL.split("//", 1)[1].split("/", 1)[0].rpartition("@")[2]
    port = int(host.rpartition(":")[2]) if ":" in host else 5432
    with TcpProxy("127.0.0.1", port) as proxy:
        server = scaleout_server(tmp_path, namespace, REDIS_URL, proxy.url_for(POSTGRES_URL))
        with server:
            ids = ingest_through_an_outage(server, proxy.cut, proxy.restore)
            assert_exactly_once(server, namespace, ids)
