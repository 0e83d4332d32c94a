"""The scale-out backend on a real Redis Cluster: three private primaries (``redis-server
--cluster-enabled yes``, joined by ``redis-cli --cluster create``), reached through redis-py's
``RedisCluster``. Redis Cluster refuses a script or ``MULTI`` whose keys span slots, so these
tests fail if any key of one operation lacks its hash tag. Last, a cluster with a replica a
primary for ``redis_replicas``.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg
import pytest
import redis
import redis.asyncio as aioredis

from shopstream import Engine
from shopstream.api import KeyRing, create_app
from shopstream.core import Offset
from shopstream.events import Message, parse_message
from shopstream.log import DeadLetter, LogUnavailable
from shopstream.scaleout import RebuildPlan, online_update
from shopstream.settings import Settings
from shopstream.storage.redis import (
    RedisEventLog,
    RedisLeases,
    RedisOnlineState,
    namespace_pattern,
)
from shopstream.storage.scaleout import build, build_worker
from shopstream.testing import POSTGRES_URL, PrivateRedisCluster, scaleout_namespace

from ..scaleout.traffic import traffic

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

PARTITIONS = 4


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateRedisCluster]:
    with PrivateRedisCluster(tmp_path_factory.mktemp("cluster")) as nodes:
        yield nodes


def message(message_id: str, anonymous_id: str = "a") -> Message:
    raw = {"type": "track", "event": "e", "anonymousId": anonymous_id, "messageId": message_id}
    return parse_message(raw, source="web", received_at=datetime(2026, 1, 1, tzinfo=UTC))


@pytest.fixture
async def log(cluster: PrivateRedisCluster) -> AsyncIterator[RedisEventLog]:
    log = RedisEventLog(
        cluster.url, prefix=f"t-{uuid.uuid4().hex[:8]}", partitions=PARTITIONS, cluster=True,
        block_slice=0.2,
    )  # fmt: skip
    yield log
    await log.close()


def slots_of(cluster: PrivateRedisCluster, prefix: str) -> dict[str, set[int]]:
    """The slots of every key of ``prefix``, by family (log, online state), on any node."""
    found: dict[str, set[int]] = {"log": set(), "online": set()}
    for node in cluster.nodes:
        client = redis.Redis(port=node.port)
        try:
            for key in client.scan_iter(match=namespace_pattern(prefix)):
                family = "online" if key.startswith(b"{" + prefix.encode() + b":o}") else "log"
                found[family].add(int(client.cluster("keyslot", key)))
        finally:
            client.close()
    return found


async def test_the_log_appends_reads_and_is_claimed_on_a_cluster(
    cluster: PrivateRedisCluster, log: RedisEventLog
) -> None:
    sent = [message(f"m{i}", anonymous_id=f"a{i % 7}") for i in range(40)]
    offsets = await log.append(sent[:30])
    assert offsets == list(range(1, 31))
    assert await log.append(sent[25:]) == list(range(26, 41))  # five repeats, ten new
    records = await log.read(Offset(0), 100)
    assert [r.message.message_id for r in records] == [m.message_id for m in sent]
    assert await log.last_offset() == 40
    assert await log.wait_for(Offset(39), timeout=0)
    await log.checkpoint("api", Offset(12))
    assert await log.committed("api") == 12
    letter = DeadLetter("web", datetime(2026, 1, 1, tzinfo=UTC), "type", "unknown", b"{}")
    await log.dead_letter([letter])
    assert [d.reason for d in await log.dead_letters(0, 10)] == ["unknown"]

    # A consumer reads some and dies; another takes its entries over; all are acknowledged.
    taken = await log.group_read("workers", "dead", count=3)
    assert len(taken) == 3 * len({log.partition_of(m) for m in sent})
    claimed = [e for p in range(PARTITIONS) for e in await log.claim("workers", "alive", p)]
    assert sorted(e.offset for e in claimed) == sorted(e.offset for e in taken)
    rest = await log.group_read("workers", "alive", count=100)
    assert sorted(e.offset for e in [*claimed, *rest]) == list(range(1, 41))
    assert await log.ack("workers", [*claimed, *rest]) == 40
    assert await log.pending("workers") == 0
    assert await log.trim_archived("workers") == 40
    assert await log.first_offset() is None

    slots = slots_of(cluster, log.prefix)
    assert len(slots["log"]) == 1
    assert not slots["online"]


async def test_the_online_state_applies_on_a_cluster_as_on_one_redis(
    cluster: PrivateRedisCluster,
) -> None:
    events = [online_update(Offset(o), m) for o, m in enumerate(traffic(200, seed=5), start=1)]

    async def apply_all(client: aioredis.Redis | aioredis.RedisCluster, prefix: str) -> object:
        leases = RedisLeases(client, prefix)
        state = RedisOnlineState(client, prefix, leases, bits_per_key=32)
        fences = {}
        for p in range(PARTITIONS):
            token = await leases.acquire(p, "t", 60_000)
            assert token is not None
            fences[p] = token
        assert await leases.heartbeat("t", 60_000) == 1  # a MULTI, on the leases' slot
        token = await state.take_rebuild("t", 60_000)  # a new state: whole once planned
        assert token is not None
        assert await state.plan_rebuild(token, RebuildPlan((), 0, Offset(0), 0)) is not None
        await state.finish_rebuild(token, Offset(0))
        for start in range(0, len(events), 25):
            await state.apply(events[start : start + 25], fences)
        assert await state.forget_applied(Offset(100)) == 3
        await state.apply(events, fences)  # all again: nothing changes
        assert await state.merges()
        return await state.snapshot()

    prefix = f"t-{uuid.uuid4().hex[:8]}"
    on_cluster = aioredis.RedisCluster.from_url(cluster.url)
    try:
        clustered = await apply_all(on_cluster, prefix)
    finally:
        await on_cluster.aclose()
    with scaleout_namespace() as ns:
        single = aioredis.Redis.from_url("redis://127.0.0.1:6379/0")
        try:
            assert await apply_all(single, ns.prefix) == clustered
        finally:
            await single.aclose()
    slots = slots_of(cluster, prefix)
    assert len(slots["online"]) == 1


async def test_workers_archive_the_log_of_a_cluster(cluster: PrivateRedisCluster) -> None:
    with scaleout_namespace() as ns:
        settings = Settings(
            redis_url=cluster.url, redis_cluster=True, postgres_url=POSTGRES_URL,
            redis_prefix=ns.prefix, postgres_schema=ns.schema, partitions=PARTITIONS,
        )  # fmt: skip
        parts = build(settings)
        workers = build_worker(settings, name="w", block_ms=20, trim_every=0)
        messages = traffic(150, seed=6)
        try:
            await parts.log.append(messages)
            while workers.worker.stats.trimmed_to < len(messages):
                await workers.worker.step()
            await workers.worker.drain_merges()
            with psycopg.connect(POSTGRES_URL, options=f"-c search_path={ns.schema}") as conn:
                row = conn.execute('SELECT count(*), count(DISTINCT "offset") FROM events')
                assert row.fetchone() == (150, 150)
            state = await workers.online.snapshot()
            assert sum(int(v["events"]) for k, v in state.items() if k.startswith("prof:")) == 150  # type: ignore[index]
        finally:
            await workers.close()
            await parts.log.close()
            for close in parts.closers:
                close()


async def test_the_api_collects_and_reads_on_a_cluster(
    cluster: PrivateRedisCluster, tmp_path: Path
) -> None:
    with scaleout_namespace() as ns:
        settings = Settings(
            data_dir=tmp_path / "data", redis_url=cluster.url, redis_cluster=True,
            postgres_url=POSTGRES_URL, redis_prefix=ns.prefix, postgres_schema=ns.schema,
            partitions=PARTITIONS, write_keys=["test:wk"], admin_keys=["ak"],
        )  # fmt: skip
        app = create_app(Engine.from_settings(settings), KeyRing.from_settings(settings)[0])
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://shopstream.test"
            ) as http,
        ):
            batch = {"batch": [
                {"type": "track", "event": "Product Viewed", "anonymousId": f"a{i % 3}",
                 "messageId": f"b{i}", "properties": {"product_id": f"p{i}"}}
                for i in range(20)
            ]}  # fmt: skip
            for _ in range(2):  # the second time, all repeats
                sent = await http.post("/v1/batch", json=batch, auth=("wk", ""))
                assert sent.status_code == 200, sent.text
            assert (await http.get("/readyz")).status_code == 200
            page = await http.get(
                "/v1/events", params={"after": 0, "limit": 100},
                headers={"Authorization": "Bearer ak"},
            )  # fmt: skip
            ids = [e["event"]["messageId"] for e in page.json()["events"]]
            assert ids == [f"b{i}" for i in range(20)]


async def test_an_append_waits_for_the_replica_of_the_log_slots_primary(tmp_path: Path) -> None:
    with PrivateRedisCluster(tmp_path / "replicated", replicas=1) as nodes:
        prefix = f"t-{uuid.uuid4().hex[:8]}"
        log = RedisEventLog(
            nodes.url, prefix=prefix, partitions=PARTITIONS, cluster=True, replicas=1,
            replicas_timeout_ms=300,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 30  # replicas finish their first sync
            while True:
                try:
                    assert await log.append([message("m0")]) == [1]
                    break
                except LogUnavailable:
                    if time.monotonic() > deadline:
                        raise
                    await asyncio.sleep(0.2)
            assert await log.append([message(f"m{i}") for i in range(10)]) == list(range(1, 11))
            await log.ping()

            router = redis.RedisCluster(host="127.0.0.1", port=nodes.nodes[0].port)
            try:
                primary = router.get_node_from_key(f"{{{prefix}}}:offset")
            finally:
                router.close()
            with redis.Redis(port=primary.port) as client:
                replica_port = int(client.info("replication")["slave0"]["port"])
            with redis.Redis(port=replica_port) as copy:
                copy.execute_command("READONLY")
                assert copy.get(f"{{{prefix}}}:offset") == b"10"  # there when append returned

            next(n for n in nodes.nodes if n.port == replica_port).kill()
            with pytest.raises(LogUnavailable, match="0 of 1"):
                await log.append([message("m11")])
            with pytest.raises(LogUnavailable, match="0 of 1"):
                await log.ping()
        finally:
            await log.close()
