"""``redis_replicas``: an append is acknowledged only once that many Redis replicas have it.

A private primary and a private replica (``redis-server --replicaof``) on free ports, so the
shared Redis is never touched. The replica is killed to see the collector answer 503, and
started again to see the client's retry land once.
"""

from __future__ import annotations

import signal
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import redis

from shopstream import Engine, Settings
from shopstream.api import KeyRing, create_app
from shopstream.core import Offset
from shopstream.events import Message, parse_message
from shopstream.log import LogUnavailable
from shopstream.storage.redis import RedisEventLog
from shopstream.testing import POSTGRES_URL, Namespace, RedisServer, scaleout_namespace

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

WRITE_KEY = "wk_replicas"
ADMIN_KEY = "ak_replicas"


def message(message_id: str) -> Message:
    raw = {"type": "track", "event": "e", "anonymousId": "a", "messageId": message_id}
    return parse_message(raw, source="web", received_at=datetime(2026, 1, 1, tzinfo=UTC))


def wait_until_replicating(primary: RedisServer, replicas: int, timeout: float = 20.0) -> None:
    """Until ``replicas`` replicas acknowledge a write (online is not enough: a replica just
    synced acknowledges nothing for up to a second)."""
    client = redis.Redis(port=primary.port)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            client.set("replication-probe", time.monotonic())
            if client.wait(replicas, 100) >= replicas:
                return
    finally:
        client.close()
    msg = f"{replicas} replica(s) did not come online"
    raise TimeoutError(msg)


@pytest.fixture
def primary(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "primary")
    server.extra_args += ["--repl-diskless-sync-delay", "0"]  # a replica syncs at once, not in 5 s
    with server:
        yield server


@pytest.fixture
def replica(tmp_path: Path, primary: RedisServer) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "replica")
    server.extra_args += ["--replicaof", "127.0.0.1", str(primary.port)]
    with server:
        wait_until_replicating(primary, 1)
        yield server


@pytest.fixture
async def log(primary: RedisServer) -> AsyncIterator[RedisEventLog]:
    log = RedisEventLog(
        primary.url, prefix="replicated", partitions=2, replicas=1, replicas_timeout_ms=300,
        socket_timeout=2,
    )  # fmt: skip
    yield log
    await log.close()


async def test_an_append_returns_once_the_replica_has_it(
    log: RedisEventLog, replica: RedisServer
) -> None:
    offsets = await log.append([message(f"m{i}") for i in range(10)])
    assert offsets == list(range(1, 11))
    copy = redis.Redis(port=replica.port)
    try:
        assert copy.get("{replicated}:offset") == b"10"  # no sleep: WAIT returned after the ack
        assert copy.xlen("{replicated}:log") == 10
    finally:
        copy.close()
    await log.ping()


async def test_fewer_replicas_than_asked_is_unavailable_and_the_retry_is_a_repeat(
    primary: RedisServer, replica: RedisServer
) -> None:
    greedy = RedisEventLog(primary.url, prefix="replicated", replicas=2, replicas_timeout_ms=200)
    try:
        started = time.monotonic()
        with pytest.raises(LogUnavailable, match="1 of 2 Redis replicas"):
            await greedy.append([message("m1")])
        assert time.monotonic() - started >= 0.2
        with pytest.raises(LogUnavailable, match="1 of 2"):
            await greedy.ping()
    finally:
        await greedy.close()
    # The append did reach the primary and the replica: the retry gets its offset back.
    enough = RedisEventLog(primary.url, prefix="replicated", replicas=1)
    try:
        assert await enough.append_marked([message("m1")]) == [(Offset(1), False)]
    finally:
        await enough.close()


async def test_a_retry_of_repeats_waits_for_the_first_append_to_reach_the_replica(
    log: RedisEventLog, primary: RedisServer, replica: RedisServer
) -> None:
    assert replica.process is not None
    await log.append([message("m1")])
    replica.process.send_signal(signal.SIGSTOP)  # connected, but acknowledges nothing
    try:
        with pytest.raises(LogUnavailable, match="0 of 1"):
            await log.append([message("m2")])
        # Another collector gets the retry: nothing new in it, and its connection wrote
        # nothing before, yet it is not acknowledged until the replica has m2.
        other = RedisEventLog(primary.url, prefix="replicated", partitions=2, replicas=1,
                              replicas_timeout_ms=300)  # fmt: skip
        try:
            with pytest.raises(LogUnavailable, match="0 of 1"):
                await other.append([message("m2")])
            replica.process.send_signal(signal.SIGCONT)
            assert await other.append_marked([message("m2")]) == [(Offset(2), False)]
        finally:
            await other.close()
    finally:
        replica.process.send_signal(signal.SIGCONT)
    copy = redis.Redis(port=replica.port)
    try:
        assert copy.xlen("{replicated}:log") == 2
    finally:
        copy.close()


# -- through the API: 503 while the replica is gone, the retry lands once ---------------------


@pytest.fixture
def namespace() -> Iterator[Namespace]:
    with scaleout_namespace() as ns:
        yield ns


@pytest.fixture
async def api(
    tmp_path: Path, primary: RedisServer, namespace: Namespace
) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        data_dir=tmp_path / "data", redis_url=primary.url, postgres_url=POSTGRES_URL,
        redis_prefix=namespace.prefix, postgres_schema=namespace.schema, partitions=4,
        ack="redis", redis_replicas=1, redis_replicas_timeout_ms=300,
        write_keys=[f"test:{WRITE_KEY}"], admin_keys=[ADMIN_KEY],
    )  # fmt: skip
    engine = Engine.from_settings(settings)
    keys, _ = KeyRing.from_settings(settings)
    app = create_app(engine, keys)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://shopstream.test"
        ) as http,
    ):
        yield http


async def test_the_collector_answers_503_while_the_replica_is_gone(
    api: httpx.AsyncClient, primary: RedisServer, replica: RedisServer
) -> None:
    def track(message_id: str) -> dict[str, object]:
        return {"type": "track", "event": "Product Viewed", "anonymousId": "a1",
                "messageId": message_id, "properties": {"product_id": "p1"}}  # fmt: skip

    auth = (WRITE_KEY, "")
    assert (await api.post("/v1/track", json=track("r1"), auth=auth)).status_code == 200
    assert (await api.get("/readyz")).status_code == 200
    replica.kill()
    refused = await api.post("/v1/track", json=track("r2"), auth=auth)
    assert refused.status_code == 503, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert (await api.get("/readyz")).status_code == 503
    replica.start()
    wait_until_replicating(primary, 1)
    retried = await api.post("/v1/track", json=track("r2"), auth=auth)
    assert retried.status_code == 200, retried.text
    assert (await api.get("/readyz")).status_code == 200
    page = await api.get(
        "/v1/events", params={"after": 0, "limit": 10},
        headers={"Authorization": f"Bearer {ADMIN_KEY}"},
    )  # fmt: skip
    assert [e["event"]["messageId"] for e in page.json()["events"]] == ["r1", "r2"]
