"""Streams are trimmed only below what every partition acknowledged (hence archived), and the
log still reads whole, in order: Redis for the recent part, the archive for the rest. What
reaches the archive: the version of an event first appended, and identity merges, once. The
online state's applied bitmaps go once the log is trimmed above them, and nothing is applied
twice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import psycopg
import pytest

from shopstream.core import Offset
from shopstream.events import message_to_json
from shopstream.scaleout import Worker, online_update
from shopstream.settings import Settings
from shopstream.storage.redis import RedisLeases, RedisOnlineState
from shopstream.storage.scaleout import ScaleOutLog, WorkerParts, build, build_worker
from shopstream.testing import POSTGRES_URL, REDIS_URL, scaleout_namespace

from .traffic import START, traffic

pytestmark = pytest.mark.integration


@pytest.fixture
async def settings() -> AsyncIterator[Settings]:
    with scaleout_namespace() as ns:
        yield Settings(
            redis_url=REDIS_URL, postgres_url=POSTGRES_URL, redis_prefix=ns.prefix,
            postgres_schema=ns.schema, partitions=4, ack="redis",
        )  # fmt: skip


async def test_trimmed_history_is_read_from_the_archive(settings: Settings) -> None:
    parts = build(settings)
    workers = build_worker(settings, name="w", block_ms=20, lease_ms=200)
    log = parts.log
    assert isinstance(log, ScaleOutLog)
    messages = traffic(130, seed=11)
    try:
        await log.append(messages[:100])
        while workers.worker.stats.processed < 100:
            await workers.worker.step()
        assert await workers.log.trim_archived("workers") == 100
        assert await log.redis.read(0, 1000) == []  # all archived: Redis holds none of it

        await log.append(messages[100:130])
        # Read but not acknowledged (a worker died holding them): never trimmed, while
        # everything around them is processed and trimmed.
        held = await workers.log.group_read("workers", "dead", 2, partitions=[0, 1, 2, 3])
        assert held
        while workers.worker.stats.processed < 130 - len(held):
            await workers.worker.step()
        floor = await workers.log.trim_archived("workers")
        assert floor == min(h.offset for h in held) - 1
        assert await log.redis.first_offset() == min(h.offset for h in held)
        # The worker goes too; the next one takes its partitions once the leases run out,
        # claims the dead consumer's entries and applies them; then everything is trimmed.
        await workers.close()
        workers = build_worker(settings, name="next", block_ms=20, lease_ms=200)
        await asyncio.sleep(0.3)
        while workers.worker.stats.processed < len(held):
            await workers.worker.step()
        assert workers.worker.stats.claimed == len(held)
        assert await workers.log.trim_archived("workers") == 130
        assert await log.redis.first_offset() is None

        records = await log.read(0, 1000)
        assert [r.offset for r in records] == list(range(1, 131))
        assert [r.message.message_id for r in records] == [m.message_id for m in messages]
        assert [r.offset for r in await log.read(95, 10)] == list(range(96, 106))
    finally:
        await workers.close()
        await log.close()
        for close in parts.closers:
            close()


async def test_a_retried_append_archives_the_version_first_appended() -> None:
    with scaleout_namespace() as ns:
        settings = Settings(
            redis_url=REDIS_URL, postgres_url=POSTGRES_URL, redis_prefix=ns.prefix,
            postgres_schema=ns.schema, partitions=4,
        )  # fmt: skip
        parts = build(settings)
        log = parts.log
        assert isinstance(log, ScaleOutLog)
        first = traffic(1, seed=12)[0]
        try:
            [offset] = await log.append([first])
            # The same message received again a day later (a client retrying after a 503
            # whose append had reached Redis): stamped again, yet the same event.
            later = (first.received_at or START) + timedelta(days=1)
            again = first.model_copy(update={"received_at": later})
            assert await log.append([again, again]) == [offset, offset]
            assert await log.archive.count() == 1
            [record] = await log.archive.read(Offset(0), 10)
            assert record.payload == message_to_json(first)
        finally:
            await log.close()
            for close in parts.closers:
                close()


async def test_identity_merges_reach_postgres_once(settings: Settings) -> None:
    parts = build(settings)
    workers = build_worker(settings, name="w", block_ms=20)
    messages = traffic(300, seed=13, shoppers=12)
    try:
        await parts.log.append(messages)
        while workers.worker.stats.processed < len(messages):
            await workers.worker.step()
        await workers.worker.settle()
        recorded = await workers.online.merges()
        renamed = await workers.log.client.hgetall(f"{workers.online.prefix}:renamed")
        assert recorded and len(recorded) == len(renamed)
        assert await workers.worker.drain_merges() == len(recorded)
        assert await workers.worker.drain_merges() == 0
        with psycopg.connect(
            POSTGRES_URL, options=f"-c search_path={settings.postgres_schema}"
        ) as conn:
            rows = conn.execute("SELECT loser, winner FROM identity_merges").fetchall()
        assert sorted(rows) == sorted((m.loser, m.winner) for m in recorded)
        assert {r[0].encode(): r[1].encode() for r in rows} == renamed
    finally:
        await workers.close()
        await parts.log.close()
        for close in parts.closers:
            close()


def small_bitmaps_worker(settings: Settings, name: str) -> WorkerParts:
    """A worker whose applied bitmaps hold 16 offsets each, trimming after every batch."""
    parts = build_worker(settings, name=name)
    leases = RedisLeases(parts.log.client, settings.redis_prefix)
    online = RedisOnlineState(parts.log.client, settings.redis_prefix, leases, bits_per_key=16)
    worker = Worker(
        parts.log, online, parts.archive, leases,
        name=name, block_ms=20, lease_ms=1_000, trim_every=0,
    )  # fmt: skip
    return WorkerParts(worker, online, parts.log, parts.archive)


async def applied_bitmaps(parts: WorkerParts) -> tuple[set[int], int]:
    """The applied bitmaps left (their numbers) and how many were dropped."""
    base = f"{parts.online.prefix}:applied:"
    left = {
        int(key.decode().removeprefix(base))
        async for key in parts.log.client.scan_iter(match=f"{base}[0-9]*")
    }
    return left, int(await parts.log.client.get(f"{base}dropped") or 0)


async def test_applied_bitmaps_below_the_trim_floor_are_dropped(settings: Settings) -> None:
    parts = build(settings)
    workers = small_bitmaps_worker(settings, "w")
    messages = traffic(130, seed=21)
    try:
        await parts.log.append(messages[:100])
        while workers.worker.stats.trimmed_to < 100:
            await workers.worker.step()
        # Bitmaps 0..5 hold offsets 0..95, all applied and trimmed; 6 holds 96..111.
        assert await applied_bitmaps(workers) == ({6}, 6)

        await parts.log.append(messages[100:])
        held = await workers.log.group_read("workers", "dead", 2, partitions=[0, 1, 2, 3])
        while workers.worker.stats.processed < 130 - len(held):
            await workers.worker.step()
        await workers.worker.step()
        floor = min(h.offset for h in held) - 1
        assert workers.worker.stats.trimmed_to == floor
        left, dropped = await applied_bitmaps(workers)
        assert dropped == (floor + 1) // 16  # the bitmaps of pending entries stay
        assert left == set(range(dropped, 130 // 16 + 1))

        # The next worker claims the dead consumer's entries; then all is applied, trimmed,
        # and every bitmap but the last one's dropped.
        await workers.close()
        workers = small_bitmaps_worker(settings, "next")
        await asyncio.sleep(1.2)  # the leases of "w" run out
        while workers.worker.stats.trimmed_to < 130:
            await workers.worker.step()
        assert workers.worker.stats.claimed == len(held)
        assert await applied_bitmaps(workers) == ({8}, 8)

        # Redelivering everything (what no log can do once trimmed) still changes nothing.
        state = await workers.online.snapshot()
        assert sum(int(v["events"]) for k, v in state.items() if k.startswith("prof:")) == 130  # type: ignore[index]
        assert len(workers.worker.owned) == 4
        updates = [online_update(Offset(o), m) for o, m in enumerate(messages, start=1)]
        await workers.online.apply(updates, workers.worker.owned)
        assert await workers.online.snapshot() == state
    finally:
        await workers.close()
        await parts.log.close()
        for close in parts.closers:
            close()
