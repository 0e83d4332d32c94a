"""The workers' online state rebuilt from the PostgreSQL archive after Redis restarted empty
(a private ``redis-server`` that keeps nothing): one worker rebuilds it at a time, the others
wait, a rebuild a worker died in is carried on by another, bitmaps are not dropped under it,
and the state reached equals a clean replay of every event, in offset order, on a Redis that
never restarted (the offsets are the run's own: a trait's value is kept by ``(time, offset)``,
and the log's offsets jump past the archive when Redis restarts)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from shopstream.core import Offset
from shopstream.events import Message
from shopstream.scaleout import RebuildPlan, Worker, online_update
from shopstream.settings import Settings
from shopstream.storage.postgres import PostgresArchive
from shopstream.storage.redis import RedisLeases, RedisOnlineState, online_tag
from shopstream.storage.scaleout import WorkerParts, build, build_worker
from shopstream.testing import POSTGRES_URL, REDIS_URL, RedisServer, scaleout_namespace

from .traffic import traffic

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

PARTITIONS = 4


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis", extra_args=["--appendonly", "no"])
    with server:
        yield server


@pytest.fixture
def settings(redis: RedisServer) -> Iterator[Settings]:
    with scaleout_namespace(redis.url) as ns:
        yield settings_on(redis.url, ns.prefix, ns.schema)


def settings_on(url: str, prefix: str, schema: str) -> Settings:
    return Settings(
        redis_url=url, postgres_url=POSTGRES_URL, redis_prefix=prefix, postgres_schema=schema,
        partitions=PARTITIONS,
    )  # fmt: skip


def restart_empty(redis: RedisServer) -> None:
    redis.kill()
    redis.start()


def crew_member(settings: Settings, name: str, bits_per_key: int = 2**24) -> WorkerParts:
    """A worker that trims after every batch (``bits_per_key`` small: bitmaps are dropped)."""
    parts = build_worker(settings, name=name)
    leases = RedisLeases(parts.log.client, settings.redis_prefix)
    online = RedisOnlineState(
        parts.log.client, settings.redis_prefix, leases, bits_per_key=bits_per_key
    )
    worker = Worker(
        parts.log, online, parts.archive, leases,
        name=name, block_ms=20, lease_ms=1_000, trim_every=0,
    )  # fmt: skip
    return WorkerParts(worker, online, parts.log, parts.archive)


async def append(settings: Settings, messages: Sequence[Message], chunk: int = 500) -> None:
    """Append as a collector does (``ack=redis+postgres``: archived before it returns)."""
    parts = build(settings)
    try:
        for start in range(0, len(messages), chunk):
            await parts.log.append(messages[start : start + chunk])
    finally:
        await parts.log.close()
        for close in parts.closers:
            close()


def shopper_events(state: dict[str, object]) -> int:
    # A snapshot taken while workers run is not one point in time: a profile a merge deleted
    # between the scan and its read comes back empty.
    return sum(int(v.get("events", 0)) for k, v in state.items() if k.startswith("prof:"))  # type: ignore[attr-defined]


async def until(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.05)


async def clean_replay(settings: Settings) -> dict[str, object]:
    """Every archived event (all of them: ``ack=redis+postgres``) applied in offset order, with
    its offset, by one process, to a fresh state on a Redis that never restarted."""
    archive = PostgresArchive(POSTGRES_URL, settings.postgres_schema)
    try:
        records = await archive.read(Offset(0), 10**9)
    finally:
        archive.close()
    updates = [online_update(r.offset, r.message) for r in records]
    client = aioredis.Redis.from_url(REDIS_URL)
    try:
        with scaleout_namespace() as ns:
            leases = RedisLeases(client, ns.prefix)
            state = RedisOnlineState(client, ns.prefix, leases)
            fences = {p: await leases.acquire(p, "solo", 60_000) for p in range(PARTITIONS)}
            token = await state.take_rebuild("solo", 60_000)  # a new state: whole once planned
            assert token is not None and all(fences.values())
            assert await state.plan_rebuild(token, RebuildPlan((), 0, Offset(0), 0)) is not None
            await state.finish_rebuild(token, Offset(0))
            for start in range(0, len(updates), 500):
                await state.apply(updates[start : start + 500], fences)  # type: ignore[arg-type]
            return await state.snapshot()
    finally:
        await client.aclose()


async def test_redis_restarting_empty_mid_run_rebuilds_the_online_state(
    redis: RedisServer, settings: Settings
) -> None:
    """Two workers run through a restart with small bitmaps, trimming after every batch: the
    state after the restart holds every event once, as a clean replay."""
    messages = traffic(600, seed=11)
    crew = [crew_member(settings, f"w{i}", bits_per_key=16) for i in range(2)]
    running = [asyncio.create_task(w.worker.run()) for w in crew]
    online = crew[0].online
    try:
        await append(settings, messages[:300], chunk=50)
        await until(lambda: _holds(online, 300), "the first 300 events applied")
        restart_empty(redis)
        await append(settings, messages[300:], chunk=50)
        await until(lambda: _holds(online, 600), "every event applied after the restart", 60)
        state = await online.snapshot()
    finally:
        for w in crew:
            w.worker.stop()
        await asyncio.gather(*running)
        for w in crew:
            await w.close()
    assert sum(w.worker.stats.rebuilt for w in crew) == 300  # the archive's, once
    assert shopper_events(state) == 600
    assert state == await clean_replay(settings)


async def _holds(online: RedisOnlineState, events: int) -> bool:
    return await online.seeded() and shopper_events(await online.snapshot()) >= events


async def test_two_workers_racing_rebuild_it_once(
    redis: RedisServer, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    messages = traffic(500, seed=12)
    await append(settings, messages[:400])
    restart_empty(redis)  # nothing was applied; now not even the state's sentinel is left
    await append(settings, messages[400:])  # after the restart: through the streams
    a, b = crew_member(settings, "a"), crew_member(settings, "b")
    try:
        with caplog.at_level(logging.INFO, logger="shopstream.scaleout"):
            await asyncio.gather(a.worker.step(), b.worker.step())  # both find it empty
            while a.worker.stats.processed + b.worker.stats.processed < 100:
                await asyncio.gather(a.worker.step(), b.worker.step())
        assert sorted([a.worker.stats.rebuilt, b.worker.stats.rebuilt]) == [0, 400]
        started = [r for r in caplog.records if "rebuilding it from 400 archived" in r.message]
        assert len(started) == 1
        assert any("rebuilt: 400 / 400 events" in r.message for r in caplog.records)
        state = await a.online.snapshot()
    finally:
        await a.close()
        await b.close()
    assert shopper_events(state) == 500
    assert state == await clean_replay(settings)


async def test_a_trim_before_the_rebuild_drops_no_bitmap_it_needs(
    redis: RedisServer, settings: Settings
) -> None:
    """After the restart the streams' trim floor is past the whole archive (the log resumes
    past its high water): dropping the bitmaps below it would make the rebuild skip every
    archived event as applied. Nothing is dropped until the state is whole."""
    messages = traffic(250, seed=13)
    w = crew_member(settings, "w", bits_per_key=16)
    try:
        await append(settings, messages[:200])
        while w.worker.stats.trimmed_to < 200:
            await w.worker.step()
        assert int(await w.log.client.get(f"{w.online.prefix}:applied:dropped") or 0) > 0
        restart_empty(redis)
        await append(settings, messages[200:])
        await w.log.ensure_group("workers")
        floor = await w.log.trim_archived("workers")  # what a worker's next trim learns
        assert floor > 200
        assert await w.online.forget_applied(floor) == 0
        while w.worker.stats.processed < 250:
            await w.worker.step()
        assert w.worker.stats.rebuilt == 200
        state = await w.online.snapshot()
        while w.worker.stats.trimmed_to < floor + 50:  # the state whole: trimming drops again
            await w.worker.step()
        assert int(await w.log.client.get(f"{w.online.prefix}:applied:dropped") or 0) > 0
    finally:
        await w.close()
    assert state == await clean_replay(settings)


def start_worker(settings: Settings, name: str, logs: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SHOPSTREAM_REDIS_URL": settings.redis_url.get_secret_value(),  # type: ignore[union-attr]
        "SHOPSTREAM_POSTGRES_URL": POSTGRES_URL,
        "SHOPSTREAM_REDIS_PREFIX": settings.redis_prefix,
        "SHOPSTREAM_POSTGRES_SCHEMA": settings.postgres_schema,
        "SHOPSTREAM_PARTITIONS": str(PARTITIONS),
    }
    with (logs / f"{name}.log").open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "shopstream", "worker", "--name", name, "--lease-ms", "1000"],
            env=env, stdout=out, stderr=out,
        )  # fmt: skip


async def test_a_worker_killed_mid_rebuild_is_succeeded_by_another(
    redis: RedisServer, settings: Settings, tmp_path: Path
) -> None:
    messages = traffic(16_000, seed=14)
    await append(settings, messages)
    restart_empty(redis)
    plan = f"{online_tag(settings.redis_prefix)}:rebuild"
    client = aioredis.Redis.from_url(redis.url)
    victim = start_worker(settings, "victim", tmp_path)
    try:
        caught = 0
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and victim.poll() is None:
            done = int(await client.hget(plan, "rebuilt") or 0)
            if 2_000 <= done < 12_000:
                victim.send_signal(signal.SIGKILL)
                victim.wait()
                caught = int(await client.hget(plan, "rebuilt") or 0)
                break
            await asyncio.sleep(0.005)
        assert caught, "the victim was never caught mid-rebuild"
        heir = build_worker(settings, name="heir", lease_ms=1_000, block_ms=20)
        try:
            while not await heir.online.seeded():
                await heir.worker.step()  # waits out the dead rebuilder's lease, then carries on
            assert heir.worker.stats.rebuilt == 16_000 - caught  # from where it stopped
            assert not await client.exists(plan)
            state = await heir.online.snapshot()
        finally:
            await heir.close()
    finally:
        if victim.poll() is None:
            victim.kill()
            victim.wait()
        await client.aclose()
    log = (tmp_path / "victim.log").read_text()
    assert "rebuilding it from 16000 archived events" in log
    assert shopper_events(state) == 16_000
    assert state == await clean_replay(settings)
