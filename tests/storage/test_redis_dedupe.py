"""The Redis log's dedupe window: a retry within the window is never appended twice, whatever
the interleaving; later ones may be; the dedupe map holds a bounded number of day buckets.

Real Redis (``SHOPSTREAM_TEST_REDIS_URL``) under a fresh key prefix; a :class:`FakeClock`
stands in for the Redis server's clock so that days pass in a test.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as aioredis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from shopstream.core import FakeClock, Offset
from shopstream.events import Message, parse_message
from shopstream.settings import Settings
from shopstream.storage.redis import RedisEventLog, namespace_pattern
from shopstream.testing import REDIS_URL

pytestmark = pytest.mark.integration

DAY = 86_400
WINDOW = timedelta(days=7)


def message(message_id: str, source: str = "web", event: str = "e") -> Message:
    raw = {"type": "track", "event": event, "anonymousId": f"a-{message_id}",
           "messageId": message_id}  # fmt: skip
    return parse_message(raw, source=source, received_at=datetime(2026, 1, 1, tzinfo=UTC))


def day_start(phase: int = 0) -> datetime:
    """Now, rounded down to a day bucket, plus ``phase`` seconds (real-time future buckets,
    so the keys' EXPIREAT lies ahead and nothing expires during the test)."""
    return datetime.fromtimestamp((int(time.time()) // DAY) * DAY + phase, UTC)


@contextlib.asynccontextmanager
async def dedupe_log(
    clock: FakeClock | None,
) -> AsyncIterator[tuple[RedisEventLog, aioredis.Redis]]:
    prefix = f"shopstream-test:{uuid.uuid4().hex}"
    log = RedisEventLog(REDIS_URL, prefix=prefix, partitions=2, dedupe_window=WINDOW, clock=clock)
    client = aioredis.Redis.from_url(REDIS_URL)
    try:
        yield log, client
    finally:
        keys = [key async for key in client.scan_iter(match=namespace_pattern(prefix))]
        if keys:
            await client.delete(*keys)
        await client.aclose()
        await log.close()


async def buckets(log: RedisEventLog, client: aioredis.Redis) -> dict[int, int]:
    """Each dedupe bucket's start (Unix seconds) -> when it expires (Unix seconds)."""
    found = {}
    async for key in client.scan_iter(match=f"{log.dedupe_base}*", count=500):
        found[int(key.decode().removeprefix(log.dedupe_base))] = await client.expiretime(key)
    return found


async def test_a_retry_within_the_window_is_a_repeat_and_a_later_one_is_not() -> None:
    clock = FakeClock(day_start(phase=DAY - 60))  # a minute before a bucket ends
    async with dedupe_log(clock) as (log, _):
        [first] = await log.append([message("m1")])
        clock.advance(days=7)  # the last second of the window: still the same event
        assert await log.append_marked([message("m1"), message("m2")]) == [
            (first, False), (first + 1, True),
        ]  # fmt: skip
        clock.advance(days=1, seconds=61)  # past the window and its bucket: a new event
        [(later, new)] = await log.append_marked([message("m1")])
        assert new and later == first + 2
        records = await log.read(Offset(0), 10)
        assert [r.message.message_id for r in records] == ["m1", "m2", "m1"]


async def test_the_dedupe_map_keeps_a_bounded_number_of_buckets() -> None:
    clock = FakeClock(day_start())
    async with dedupe_log(clock) as (log, client):
        k = log.dedupe_buckets_back
        assert (k, log.dedupe_bucket) == (7, DAY)
        for i in range(30 * 4):  # 30 days, an append every 6 hours
            await log.append([message(f"m{i}")])
            clock.advance(hours=6)
        expiries = await buckets(log, client)
        assert len(expiries) == 30
        # Each bucket expires when the last bucket that looks back at it ends ...
        assert all(at == start + (k + 1) * DAY for start, at in expiries.items())
        # ... so at any moment (here: the last append) at most k + 1 of them are alive.
        now = int(clock.now().timestamp()) - 6 * 3600
        assert len([at for at in expiries.values() if at > now]) == k + 1


async def test_on_the_servers_clock_the_current_bucket_expires_after_the_window() -> None:
    async with dedupe_log(None) as (log, client):
        before = int(time.time())
        await log.append([message("m1")])
        assert await log.append([message("m1")]) == [1]
        [(start, at)] = (await buckets(log, client)).items()
        assert start <= before + 1 < start + DAY + 1
        assert at == start + (log.dedupe_buckets_back + 1) * DAY


async def test_a_batch_larger_than_one_lookup_finds_repeats_in_every_bucket() -> None:
    clock = FakeClock(day_start())
    async with dedupe_log(clock) as (log, _):
        yesterday = await log.append([message(f"m{i}") for i in range(0, 2500, 7)])
        clock.advance(days=1)
        today = await log.append([message(f"m{i}") for i in range(0, 2500, 5)])
        # 2,500 fields are looked up 1,000 at a time in each bucket; some twice in the batch.
        again = await log.append_marked([message(f"m{i}") for i in [*range(2500), 2499, 0]])
        first = {f"m{i}": o for i, o in zip(range(0, 2500, 7), yesterday, strict=True)}
        for i, o in zip(range(0, 2500, 5), today, strict=True):
            first.setdefault(f"m{i}", o)
        assert all(again[i] == (first[f"m{i}"], False) for i in range(2500) if f"m{i}" in first)
        fresh = [o for i, (o, new) in enumerate(again[:2500]) if new]
        assert len(fresh) == 2500 - len(first)
        assert fresh == list(range(fresh[0], fresh[0] + len(fresh)))
        assert again[2500] == (again[2499][0], False)
        assert again[2501] == (first["m0"], False)


def test_the_window_needs_whole_second_buckets() -> None:
    with pytest.raises(ValueError, match="dedupe window"):
        RedisEventLog(REDIS_URL, dedupe_bucket=timedelta(milliseconds=500))
    with pytest.raises(ValueError, match="dedupe window"):
        RedisEventLog(REDIS_URL, dedupe_window=timedelta(0))


# A round: when (seconds after the start, within the window), and the batches sent at once,
# each a list of message numbers (a number names a (source, messageId); repeats are retries).
rounds = st.lists(
    st.tuples(
        st.integers(0, int(WINDOW.total_seconds())),
        st.lists(st.lists(st.integers(0, 9), min_size=1, max_size=6), min_size=1, max_size=4),
    ),
    min_size=1,
    max_size=10,
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(schedule=rounds, phase=st.integers(0, DAY - 1))
def test_any_interleaving_of_retries_within_the_window_appends_each_message_once(
    schedule: list[tuple[int, list[list[int]]]], phase: int
) -> None:
    schedule = sorted(schedule, key=lambda r: r[0])  # retries follow their first attempt

    def sent(number: int, attempt: str) -> Message:
        # The same key each time; the event name tells which attempt was stored.
        return message(f"m{number % 5}", source="web" if number < 5 else "pos", event=attempt)

    async def run() -> None:
        clock = FakeClock(day_start(phase))
        start = clock.now()
        async with dedupe_log(clock) as (log, _):
            given: dict[tuple[str, str], set[int]] = {}
            first_round: dict[tuple[str, str], tuple[int, set[str]]] = {}
            for r, (at, batches) in enumerate(schedule):
                clock.set(start + timedelta(seconds=at))
                sends = [[sent(n, f"r{r}b{b}") for n in batch] for b, batch in enumerate(batches)]
                answers = await asyncio.gather(*(log.append(batch) for batch in sends))
                for batch, offsets in zip(sends, answers, strict=True):
                    for m, offset in zip(batch, offsets, strict=True):
                        given.setdefault(m.dedupe_key, set()).add(offset)
                        if m.dedupe_key not in first_round or r == first_round[m.dedupe_key][0]:
                            first_round.setdefault(m.dedupe_key, (r, set()))[1].add(m.event)
            assert all(len(offsets) == 1 for offsets in given.values())
            records = await log.read(Offset(0), 1000)
            assert [r.offset for r in records] == list(range(1, len(given) + 1))
            assert {r.message.dedupe_key: r.offset for r in records} == {
                key: offset for key, (offset,) in given.items()
            }
            for record in records:  # stored as first sent (by one of that round's batches)
                assert record.message.event in first_round[record.message.dedupe_key][1]

    asyncio.run(run())


@pytest.mark.parametrize(("given", "window"), [("3600", timedelta(hours=1)), ("P7D", WINDOW)])
def test_the_window_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, given: str, window: timedelta
) -> None:
    monkeypatch.setenv("SHOPSTREAM_DEDUPE_WINDOW", given)
    assert Settings().dedupe_window == window
    monkeypatch.setenv("SHOPSTREAM_DEDUPE_WINDOW", "0")
    with pytest.raises(ValidationError):
        Settings()
