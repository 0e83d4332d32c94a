"""Collector processes: the API's side against a real collector process on a SQLite log."""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopstream.core import Offset
from shopstream.log import LogUnavailable
from shopstream.log.errors import RequestRefused
from shopstream.log.remote import RemoteCollector, _offsets, _runs, least_busy
from shopstream.storage.sqlite import SQLiteEventLog
from shopstream.storage.sqlite.collector_process import command

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _body(*messages: dict[str, object]) -> bytes:
    return orjson.dumps({"batch": list(messages), "sentAt": NOW.isoformat()})


def _track(message_id: str, **extra: object) -> dict[str, object]:
    return {"type": "track", "event": "Signed Up", "anonymousId": "a1",
            "messageId": message_id, **extra}  # fmt: skip


@given(st.lists(st.integers(1, 10_000), unique=True).map(sorted))
def test_offsets_travel_as_runs_unchanged(offsets: list[int]) -> None:
    assert _offsets(_runs([Offset(o) for o in offsets])) == offsets


@pytest.fixture
async def remote(tmp_path: Path) -> tuple[RemoteCollector, SQLiteEventLog]:
    log = SQLiteEventLog(tmp_path / "events.db")
    noticed: list[Offset] = []

    async def notice(offset: Offset) -> None:
        noticed.append(offset)
        await log.notice(offset)

    collector = RemoteCollector(
        command(log.path, fsync="full", max_event_bytes=32 * 1024, phone_region="US"),
        on_append=notice,
    )
    await collector.start()
    yield collector, log
    await collector.close()
    await log.close()


async def test_a_batch_is_appended_by_the_collector_process_and_read_here(
    remote: tuple[RemoteCollector, SQLiteEventLog],
) -> None:
    collector, log = remote
    body = _body(_track("m1"), {"type": "track", "messageId": "m2"}, _track("m3"))
    result = await collector.collect_body(body, kind="batch", source="web", received_at=NOW)
    assert result.offsets == [1, 2]
    assert [(r.index, r.field) for r in result.rejections] == [(1, "batch[1].event")]
    assert await log.last_offset() == 2  # told by the answer, without polling the file
    assert [r.message.message_id for r in await log.read(Offset(0), 10)] == ["m1", "m3"]
    assert len(await log.dead_letters(0, 10)) == 1
    again = await collector.collect_body(body, kind="batch", source="web", received_at=NOW)
    assert again.offsets == [1, 2]  # a retry is never appended twice


async def test_a_refused_request_comes_back_as_the_same_error(
    remote: tuple[RemoteCollector, SQLiteEventLog],
) -> None:
    collector, _ = remote
    with pytest.raises(RequestRefused) as refused:
        await collector.collect_body(b"[1, 2]", kind="batch", source="web", received_at=NOW)
    assert (refused.value.code, refused.value.field) == ("request.json", "body")
    with pytest.raises(RequestRefused) as refused:
        body = orjson.dumps({"batch": [], "sentAt": "yesterday"})
        await collector.collect_body(body, kind="batch", source="web", received_at=NOW)
    assert refused.value.field == "sentAt"
    single = await collector.collect_body(
        orjson.dumps(_track("s1") | {"writeKey": "x"}), kind="track", source="web", received_at=NOW
    )
    assert single.offsets == [1]


async def test_many_requests_in_flight_get_their_own_answers(
    remote: tuple[RemoteCollector, SQLiteEventLog],
) -> None:
    collector, log = remote
    results = await asyncio.gather(*(
        collector.collect_body(
            _body(*(_track(f"r{r}-{i}") for i in range(20))), kind="batch", source="web",
            received_at=NOW,
        )
        for r in range(30)
    ))  # fmt: skip
    offsets = [o for result in results for o in result.offsets]
    assert sorted(offsets) == list(range(1, 601))
    for r, result in enumerate(results):  # each answer is its own request's
        stored = await log.read(Offset(result.offsets[0] - 1), 1)
        assert stored[0].message.message_id == f"r{r}-0"


async def test_a_killed_collector_process_fails_what_it_held_then_is_started_again(
    remote: tuple[RemoteCollector, SQLiteEventLog],
) -> None:
    collector, _ = remote
    pid = collector.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)  # it reads nothing more: the request stays in flight
    held = asyncio.create_task(
        collector.collect_body(_body(_track("k1")), kind="batch", source="web", received_at=NOW)
    )
    await asyncio.sleep(0.2)
    assert not held.done()
    os.kill(pid, signal.SIGKILL)
    with pytest.raises(LogUnavailable):  # never a 200 for what was not appended
        await held
    for _ in range(50):  # the client retries, as SDKs do on a 503
        try:
            result = await collector.collect_body(
                _body(_track("k1")), kind="batch", source="web", received_at=NOW
            )
            break
        except LogUnavailable:
            await asyncio.sleep(0.2)
    assert result.offsets == [1]
    assert collector.pid not in (None, pid)


async def test_closing_lets_the_collector_process_exit(
    remote: tuple[RemoteCollector, SQLiteEventLog],
) -> None:
    collector, _ = remote
    pid = collector.pid
    assert pid is not None
    await collector.close()  # reaped: it exited of its own accord
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(LogUnavailable):
        await collector.collect_body(_body(), kind="batch", source="web", received_at=NOW)


async def test_requests_go_to_the_collector_process_with_the_least_in_hand(
    tmp_path: Path,
) -> None:
    log = SQLiteEventLog(tmp_path / "events.db")
    run = command(log.path, fsync="full", max_event_bytes=32 * 1024, phone_region="US")
    stalled, free = RemoteCollector(run, name="stalled"), RemoteCollector(run, name="free")
    await asyncio.gather(stalled.start(), free.start())
    assert stalled.pid is not None
    os.kill(stalled.pid, signal.SIGSTOP)
    try:
        assert least_busy([stalled, free]) is stalled  # equals: the first
        held = asyncio.create_task(
            stalled.collect_body(_body(_track("h1")), kind="batch", source="web", received_at=NOW)
        )
        await asyncio.sleep(0.1)
        assert (stalled.in_flight, free.in_flight) == (1, 0)
        for n in range(3):  # none waits behind the stalled one
            chosen = least_busy([stalled, free])
            assert chosen is free
            body = _body(_track(f"f{n}"))
            result = await chosen.collect_body(body, kind="batch", source="web", received_at=NOW)
            assert len(result.offsets) == 1
        assert not held.done()
    finally:
        os.kill(stalled.pid, signal.SIGCONT)
    assert len((await held).offsets) == 1
    assert (stalled.in_flight, free.in_flight) == (0, 0)
    await asyncio.gather(stalled.close(), free.close())
    await log.close()
