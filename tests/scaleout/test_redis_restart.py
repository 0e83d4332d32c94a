"""Redis restarting empty mid-run (a private ``redis-server`` with no persistence at all, as
the Redis on a machine that keeps nothing on disk): the log rebuilds its offset counter,
dead-letter ids and dedupe window from the PostgreSQL archive before it appends again, so
offsets never go backwards or collide with archived ones, a retry of an archived event gets
its first offset, workers carry on, and the log and its dead letters read whole."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
import redis.asyncio as aioredis

from shopstream.core import Offset, utcnow
from shopstream.events import Message, message_to_json, parse_message
from shopstream.log import DeadLetter, LogUnavailable
from shopstream.scaleout import ArchivedEvent
from shopstream.settings import Settings
from shopstream.storage.redis import log_tag
from shopstream.storage.redis.log import RESEED_GAP
from shopstream.storage.scaleout import ScaleOutLog, ScaleOutParts, WorkerParts, build, build_worker
from shopstream.testing import POSTGRES_URL, RedisServer, scaleout_namespace

pytestmark = pytest.mark.integration


def events(tag: str, count: int) -> list[Message]:
    """Events received now (the dedupe window is on the clock), one shopper each."""
    now = utcnow()
    raws = [{"type": "track", "event": "Product Viewed", "anonymousId": f"a{i}",
             "messageId": f"{tag}-{i}", "properties": {"product_id": f"p{i}"}}
            for i in range(count)]  # fmt: skip
    return [parse_message(raw, source="web", received_at=now) for raw in raws]


def letter(reason: str) -> DeadLetter:
    return DeadLetter("web", datetime(2026, 11, 26, 1, 2, 3, 456789, tzinfo=UTC), "userId",
                      reason, b'{"type":"track"}')  # fmt: skip


def restart_empty(redis: RedisServer) -> None:
    redis.kill()
    redis.start()


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis", extra_args=["--appendonly", "no"])
    with server:
        yield server


@pytest.fixture
def settings(redis: RedisServer) -> Iterator[Settings]:
    with scaleout_namespace(redis.url) as ns:
        yield Settings(
            redis_url=redis.url, postgres_url=POSTGRES_URL, redis_prefix=ns.prefix,
            postgres_schema=ns.schema, partitions=4,
        )  # fmt: skip


@pytest.fixture
async def parts(settings: Settings) -> AsyncIterator[ScaleOutParts]:
    built = build(settings)
    try:
        yield built
    finally:
        await built.log.close()
        for close in built.closers:
            close()


@pytest.fixture
async def workers(settings: Settings) -> AsyncIterator[WorkerParts]:
    built = build_worker(settings, name="w", block_ms=20, lease_ms=200, trim_every=0)
    try:
        yield built
    finally:
        await built.close()


def archived(settings: Settings) -> list[tuple[int, str]]:
    with psycopg.connect(POSTGRES_URL) as conn:
        rows = conn.execute(
            f'SELECT "offset", message_id FROM {settings.postgres_schema}.events ORDER BY 1'
        ).fetchall()
    return [(int(o), m) for o, m in rows]


async def test_offsets_and_the_dedupe_window_survive_redis_restarting_empty(
    redis: RedisServer, parts: ScaleOutParts
) -> None:
    log = parts.log
    first, later = events("first", 20), events("later", 10)
    assert await log.append(first) == list(range(1, 21))
    restart_empty(redis)
    resumed = 20 + RESEED_GAP  # past the archive's high water, and past any append in flight
    assert await log.last_offset() == resumed  # seeded from the archive, not 0
    assert await log.append(later) == list(range(resumed + 1, resumed + 11))
    # A retry of events appended before the restart gets their first offsets back.
    assert await log.append(first[:5]) == [1, 2, 3, 4, 5]
    records = await log.read(0, 100)
    assert [r.offset for r in records] == [*range(1, 21), *range(resumed + 1, resumed + 11)]
    assert [r.message.message_id for r in records] == [m.message_id for m in first + later]
    assert [r.offset for r in await log.read(18, 3)] == [19, 20, resumed + 1]


async def test_a_reader_after_the_restart_finds_the_archived_log(
    redis: RedisServer, parts: ScaleOutParts
) -> None:
    await parts.log.append(events("first", 5))
    restart_empty(redis)
    # Nothing appended since: the log's end is still the archive's, and it reads whole.
    assert [r.offset for r in await parts.log.read(0, 10)] == [1, 2, 3, 4, 5]


async def test_dead_letters_keep_their_ids_and_read_whole_after_a_restart(
    redis: RedisServer, parts: ScaleOutParts
) -> None:
    log = parts.log
    await log.dead_letter([letter("one"), letter("two"), letter("three")])
    restart_empty(redis)
    await log.dead_letter([letter("four"), letter("five")])
    got = await log.dead_letters(0, 10)
    four = 4 + RESEED_GAP  # resumed past the archive's high water, 3
    assert [(d.id, d.reason) for d in got] == [
        (1, "one"), (2, "two"), (3, "three"), (four, "four"), (four + 1, "five"),
    ]  # fmt: skip
    assert got[0] == dataclasses.replace(letter("one"), id=1)  # as stored, from the archive
    assert [d.id for d in await log.dead_letters(2, 2)] == [3, four]  # a page across the two
    assert [d.id for d in await log.dead_letters(3, 1)] == [four]


async def test_workers_carry_on_after_redis_restarts_empty(
    redis: RedisServer, parts: ScaleOutParts, workers: WorkerParts, settings: Settings
) -> None:
    log = parts.log
    first, later = events("first", 20), events("later", 10)
    await log.append(first)
    while workers.worker.stats.processed < 20:
        await workers.worker.step()
    restart_empty(redis)
    await log.append(later)
    for _ in range(200):  # the first steps find the group gone (LogUnavailable) and make it
        if workers.worker.stats.processed >= 30:
            break
        with contextlib.suppress(LogUnavailable):
            await workers.worker.step()
    offsets = [*range(1, 21), *range(21 + RESEED_GAP, 31 + RESEED_GAP)]
    assert archived(settings) == [
        (o, m.message_id) for o, m in zip(offsets, first + later, strict=True)
    ]
    assert await workers.log.trim_archived("workers") == 30 + RESEED_GAP


async def test_with_ack_redis_offsets_resume_past_what_the_api_processes_saved(
    redis: RedisServer, settings: Settings
) -> None:
    """The loss window of ``ack=redis`` on a Redis that keeps nothing: what the workers had not
    archived is gone, but its offsets are not given again, as an API process's snapshot may
    have read past them (it would skip a new event given one of them)."""
    parts = build(settings.model_copy(update={"ack": "redis"}))
    try:
        await parts.log.append(events("unarchived", 10))  # no worker runs: in Redis only
        await parts.states.save("replica", Offset(10), b"state")
        restart_empty(redis)
        assert await parts.log.append(events("after", 1)) == [11 + RESEED_GAP]
        assert [r.offset for r in await parts.log.read(0, 100)] == [11 + RESEED_GAP]
    finally:
        await parts.log.close()
        for close in parts.closers:
            close()


async def test_an_append_in_flight_at_the_restart_keeps_its_offsets(
    redis: RedisServer, parts: ScaleOutParts, settings: Settings
) -> None:
    """A collector ran its append in Redis, Redis lost it, and the archive write commits after
    another collector rebuilt the log: the two never share an offset (the gap)."""
    log = parts.log
    assert isinstance(log, ScaleOutLog)
    first, in_flight, later = events("first", 3), events("in-flight", 4), events("later", 2)
    await log.append(first)
    marked = await log.redis.append_marked(in_flight)  # in Redis, not yet in the archive
    restart_empty(redis)
    await log.append(later)
    # The in-flight collector's archive write commits now.
    await log.archive.archive(
        [
            ArchivedEvent(o, log.redis.partition_of(m), message_to_json(m), m, None)
            for (o, _), m in zip(marked, in_flight, strict=True)
        ]
    )
    ids = [m for _, m in archived(settings)]
    assert ids == [m.message_id for m in first + in_flight + later]


async def test_the_dedupe_window_is_restored_page_by_page_and_no_further(
    redis: RedisServer, parts: ScaleOutParts, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("shopstream.storage.redis.log._SEED_PAGE", 4)  # pages of 4 ids
    log = parts.log
    old = [m.model_copy(update={"received_at": utcnow() - timedelta(days=9)})
           for m in events("old", 2)]  # fmt: skip
    recent = events("recent", 11)
    await log.append(old + recent)
    restart_empty(redis)
    assert await log.append(recent) == list(range(3, 14))  # every page restored
    # Received before the window (7 days and today's bucket): a new event now, as it would
    # have been had Redis kept its memory (its bucket had expired).
    assert await log.append(old) == [14 + RESEED_GAP, 15 + RESEED_GAP]


async def test_a_log_written_before_the_sentinel_is_only_marked(
    redis: RedisServer, parts: ScaleOutParts, settings: Settings
) -> None:
    """Upgrading: a Redis that kept a log appended by a version without ``seeded`` goes on
    from its own counter, with no jump."""
    log = parts.log
    await log.append(events("first", 3))
    client = aioredis.Redis.from_url(redis.url)
    try:
        await client.hdel(f"{log_tag(settings.redis_prefix)}:meta", "seeded")
    finally:
        await client.aclose()
    assert await log.append(events("later", 2)) == [4, 5]
