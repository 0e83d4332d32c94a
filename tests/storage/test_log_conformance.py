"""The ``EventLog`` semantics (``shopstream.log.store``), run against every backend.

One parametrised fixture, ``event_log``, gives each test a fresh log: SQLite in ``tmp_path``,
and Redis (``SHOPSTREAM_TEST_REDIS_URL``, default ``redis://127.0.0.1:6379/0``) under a unique
key prefix deleted afterwards. Redis is the real server, never a mock; an unreachable Redis
fails these tests. The Redis-only tests at the end cover partitioning, consumer groups and
XAUTOCLAIM, and ``LogUnavailable``. No Hypothesis here: this suite is fast.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from shopstream.core import Offset
from shopstream.events import Message, message_from_json, parse_message
from shopstream.log import DeadLetter, EventLog, LogError, LogUnavailable
from shopstream.storage.redis import MissingDependencyError, RedisEventLog, namespace_pattern
from shopstream.storage.sqlite import SQLiteEventLog

REDIS_URL = os.environ.get("SHOPSTREAM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RECEIVED = datetime(2026, 1, 1, tzinfo=UTC)
PARTITIONS = 4


def message(message_id: str, source: str = "web", anonymous_id: str = "a") -> Message:
    raw = {"type": "track", "event": "e", "anonymousId": anonymous_id, "messageId": message_id}
    return parse_message(raw, source=source, received_at=RECEIVED)


async def delete_prefix(prefix: str) -> None:
    client = aioredis.Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=namespace_pattern(prefix))]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@contextlib.asynccontextmanager
async def fresh_redis_log() -> AsyncIterator[RedisEventLog]:
    """A Redis log under a unique prefix, its keys deleted afterwards."""
    prefix = f"shopstream-test:{uuid.uuid4().hex}"
    log = RedisEventLog(REDIS_URL, prefix=prefix, partitions=PARTITIONS, block_slice=0.2)
    try:
        yield log
    finally:
        await log.close()
        await delete_prefix(prefix)


@pytest.fixture
async def redis_log() -> AsyncIterator[RedisEventLog]:
    async with fresh_redis_log() as log:
        yield log


@pytest.fixture(params=["sqlite", "redis"])
async def event_log(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[EventLog]:
    if request.param == "redis":
        async with fresh_redis_log() as log:
            yield log
        return
    sqlite_log = SQLiteEventLog(tmp_path / "events.db", fsync="normal")
    try:
        yield sqlite_log
    finally:
        await sqlite_log.close()


# -- the conformance suite ------------------------------------------------------------------


async def test_append_returns_increasing_offsets(event_log: EventLog) -> None:
    assert await event_log.last_offset() == 0
    assert await event_log.append([]) == []
    first = await event_log.append([message("m1"), message("m2"), message("m3")])
    second = await event_log.append([message("m4")])
    offsets = first + second
    assert offsets == sorted(set(offsets))
    assert offsets[0] > 0
    assert await event_log.last_offset() == offsets[-1]


async def test_a_repeat_gets_its_first_offset_and_is_stored_once(event_log: EventLog) -> None:
    first = await event_log.append([message("m1"), message("m2"), message("m1")])
    assert first[0] == first[2] < first[1]
    again = await event_log.append([message("m2"), message("m3"), message("m1")])
    assert again[0] == first[1]
    assert again[2] == first[0]
    assert again[1] > first[1]
    # The same messageId from another source is another event.
    (other,) = await event_log.append([message("m1", source="pos")])
    assert other > again[1]
    records = await event_log.read(Offset(0), 100)
    keys = [r.message.dedupe_key for r in records]
    assert keys == [("web", "m1"), ("web", "m2"), ("web", "m3"), ("pos", "m1")]
    assert [r.offset for r in records] == [first[0], first[1], again[1], other]


async def test_the_first_message_sent_with_a_key_is_the_one_stored(event_log: EventLog) -> None:
    raw = {"type": "track", "event": "first", "anonymousId": "a", "messageId": "m1"}
    first = parse_message(raw, source="web", received_at=RECEIVED)
    retry = parse_message({**raw, "event": "second"}, source="web", received_at=RECEIVED)
    await event_log.append([first])
    await event_log.append([retry])
    (record,) = await event_log.read(Offset(0), 10)
    assert record.message == first


async def test_concurrent_appends_store_each_key_once(event_log: EventLog) -> None:
    batches = [[message(f"m{(b * 3 + i) % 17}") for i in range(8)] for b in range(12)]
    answers = await asyncio.gather(*(event_log.append(batch) for batch in batches))
    given: dict[tuple[str, str], set[Offset]] = {}
    for batch, offsets in zip(batches, answers, strict=True):
        assert len(offsets) == len(batch)
        for msg, offset in zip(batch, offsets, strict=True):
            given.setdefault(msg.dedupe_key, set()).add(offset)
    assert all(len(offsets) == 1 for offsets in given.values())
    records = await event_log.read(Offset(0), 1000)
    assert len(records) == len(given) == 17
    assert {r.message.dedupe_key: r.offset for r in records} == {
        key: offset for key, (offset,) in given.items()
    }
    assert [r.offset for r in records] == sorted({r.offset for r in records})


@pytest.mark.parametrize(
    ("count", "limit", "start"), [(0, 5, 0), (23, 1, 0), (23, 5, 7), (23, 50, 3)]
)
async def test_pages_give_the_whole_log_in_order(
    event_log: EventLog, count: int, limit: int, start: int
) -> None:
    offsets = await event_log.append([message(f"m{i}", anonymous_id=f"a{i}") for i in range(count)])
    pages: list[Offset] = []
    after = Offset(start)
    while page := await event_log.read(after, limit):
        assert 0 < len(page) <= limit
        assert all(r.offset > after for r in page)
        pages.extend(r.offset for r in page)
        after = page[-1].offset
    assert pages == [o for o in offsets if o > start]
    assert await event_log.read(Offset(0), 0) == []


async def test_checkpoints_only_move_forward(event_log: EventLog) -> None:
    assert await event_log.committed("never") == 0
    moves = [("a", 5), ("b", 2), ("a", 3), ("a", 9), ("b", 2**63 - 1), ("b", 2**63 - 2), ("a", 10)]
    best: dict[str, int] = {}
    for consumer, offset in moves:
        await event_log.checkpoint(consumer, Offset(offset))
        best[consumer] = max(best.get(consumer, 0), offset)
        assert await event_log.committed(consumer) == best[consumer]
    assert await event_log.committed("never") == 0


async def test_dead_letters_round_trip_and_stay_out_of_the_log(event_log: EventLog) -> None:
    letters = [
        DeadLetter("web", RECEIVED, "batch[1].userId", "userId is required", b'{"a":1}'),
        DeadLetter("pos", RECEIVED, "messageId", "too long", b"\x00\xff"),
        DeadLetter("web", RECEIVED, "type", "unknown type", b"{}"),
    ]
    await event_log.dead_letter([])
    await event_log.dead_letter(letters[:2])
    await event_log.dead_letter(letters[2:])
    got = await event_log.dead_letters(0, 10)
    assert [(d.source, d.received_at, d.field, d.reason, d.payload) for d in got] == [
        (d.source, d.received_at, d.field, d.reason, d.payload) for d in letters
    ]
    ids = [d.id for d in got]
    assert all(i is not None for i in ids)
    assert ids == sorted(set(ids))  # type: ignore[type-var]
    assert await event_log.dead_letters(got[0].id or 0, 1) == [got[1]]
    assert await event_log.read(Offset(0), 10) == []
    assert await event_log.last_offset() == 0


async def test_wait_for_wakes_on_append(event_log: EventLog) -> None:
    assert not await event_log.wait_for(Offset(0), timeout=0.01)
    assert not await event_log.wait_for(Offset(0), timeout=0)
    waiter = asyncio.ensure_future(event_log.wait_for(Offset(0), timeout=5))
    await asyncio.sleep(0.05)
    assert not waiter.done()
    (offset,) = await event_log.append([message("m1")])
    assert await asyncio.wait_for(waiter, 2)
    assert await event_log.wait_for(Offset(0), timeout=0)
    assert not await event_log.wait_for(offset, timeout=0.01)


async def test_ping_answers_while_the_log_is_up(event_log: EventLog) -> None:
    await event_log.ping()


# -- Redis only -------------------------------------------------------------------------------


async def test_one_shoppers_events_stay_in_one_partition_in_order(
    redis_log: RedisEventLog,
) -> None:
    shoppers = [f"shopper{i}" for i in range(12)]
    sent = [message(f"m{i}", anonymous_id=shoppers[i % len(shoppers)]) for i in range(96)]
    offsets: list[Offset] = []
    for start in range(0, len(sent), 10):
        offsets += await redis_log.append(sent[start : start + 10])
    client = aioredis.Redis.from_url(REDIS_URL)
    try:
        seen: dict[str, list[tuple[int, Offset]]] = {}
        total = 0
        for p in range(PARTITIONS):
            entries = await client.xrange(redis_log.partition_key(p))
            total += len(entries)
            for entry_id, fields in entries:
                offset = Offset(int(fields[b"offset"]))
                assert entry_id == f"{offset}-0".encode()
                anonymous_id = parse_partition_payload(fields[b"payload"])
                seen.setdefault(anonymous_id, []).append((p, offset))
    finally:
        await client.aclose()
    assert total == len(sent)
    assert len({p for places in seen.values() for p, _ in places}) > 1  # spread over partitions
    for shopper in shoppers:
        places = seen[shopper]
        assert len({p for p, _ in places}) == 1
        mine = [o for m, o in zip(sent, offsets, strict=True) if m.anonymous_id == shopper]
        assert [o for _, o in places] == mine
        assert {p for p, _ in places} == {
            redis_log.partition_of(message("x", anonymous_id=shopper))
        }


def parse_partition_payload(payload: bytes) -> str:
    anonymous_id = message_from_json(payload).anonymous_id
    assert anonymous_id is not None
    return anonymous_id


async def test_a_dead_consumers_pending_entries_are_claimed(redis_log: RedisEventLog) -> None:
    offsets = await redis_log.append([message(f"m{i}", anonymous_id=f"a{i}") for i in range(10)])
    taken = await redis_log.group_read("workers", "A", count=100)
    assert [e.offset for e in taken] == offsets
    assert [e.message.message_id for e in taken] == [f"m{i}" for i in range(10)]
    assert await redis_log.pending("workers") == 10
    # A dies without acking. Nothing new is left for B; A's entries are not stale yet.
    assert await redis_log.group_read("workers", "B", count=100) == []
    assert await redis_log.claim_stale("workers", "B", min_idle_ms=60_000) == []
    await asyncio.sleep(0.15)
    claimed = await redis_log.claim_stale("workers", "B", min_idle_ms=100)
    assert [e.offset for e in claimed] == offsets
    assert claimed == taken
    assert await redis_log.ack("workers", claimed) == 10
    assert await redis_log.pending("workers") == 0
    assert await redis_log.claim_stale("workers", "B", min_idle_ms=0) == []


async def test_group_read_blocks_until_an_append(redis_log: RedisEventLog) -> None:
    await redis_log.ensure_group("workers")
    assert await redis_log.group_read("workers", "A", count=10, block_ms=50) == []
    reader = asyncio.ensure_future(redis_log.group_read("workers", "A", count=10, block_ms=5000))
    await asyncio.sleep(0.05)
    (offset,) = await redis_log.append([message("m1")])
    (entry,) = await asyncio.wait_for(reader, 2)
    assert entry.offset == offset
    assert entry.partition == redis_log.partition_of(message("m1"))
    assert await redis_log.ack("workers", [entry]) == 1


async def test_another_partition_count_is_refused(redis_log: RedisEventLog) -> None:
    await redis_log.append([message("m1")])
    other = RedisEventLog(REDIS_URL, prefix=redis_log.prefix, partitions=PARTITIONS + 1)
    try:
        with pytest.raises(LogError, match="partitions"):
            await other.append([message("m2")])
    finally:
        await other.close()
    assert len(await redis_log.read(Offset(0), 10)) == 1


async def test_an_unreachable_redis_is_log_unavailable() -> None:
    log = RedisEventLog("redis://127.0.0.1:1/0", socket_timeout=1.0)
    try:
        with pytest.raises(LogUnavailable):
            await log.ping()
        with pytest.raises(LogUnavailable):
            await log.append([message("m1")])
        with pytest.raises(LogUnavailable):
            await log.read(Offset(0), 10)
        with pytest.raises(LogUnavailable):
            await log.wait_for(Offset(0), timeout=0.1)
    finally:
        await log.close()


def test_a_missing_driver_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis.asyncio", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'shopstream\[redis\]'"):
        RedisEventLog(REDIS_URL)
