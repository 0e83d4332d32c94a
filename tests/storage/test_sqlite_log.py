"""The SQLite event log against the ``EventLog`` semantics (``shopstream.log.store``).

Properties: dedupe never appends a ``(source, messageId)`` twice in any interleaving of
batches and duplicates; offsets increase strictly; ``read(after, limit)`` pages give the whole
log in order; checkpoints only move forward. Each example gets a fresh database.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopstream.core import Offset
from shopstream.events import Message, parse_message
from shopstream.log import DeadLetter, LogUnavailable
from shopstream.storage.sqlite import SQLiteEventLog
from shopstream.testing import keyed_messages

T = TypeVar("T")
RECEIVED = datetime(2026, 1, 1, tzinfo=UTC)
batches = st.lists(st.lists(keyed_messages(), max_size=12), max_size=8)


def with_log(body: Callable[[SQLiteEventLog], Awaitable[T]]) -> T:
    """Run ``body`` on a fresh log in a fresh event loop (Hypothesis examples are sync)."""

    async def run() -> T:
        with tempfile.TemporaryDirectory() as tmp:
            log = SQLiteEventLog(Path(tmp) / "events.db", fsync="normal")
            try:
                return await body(log)
            finally:
                await log.close()

    return asyncio.run(run())


def message(message_id: str, source: str = "web") -> Message:
    raw = {"type": "track", "event": "e", "anonymousId": "a", "messageId": message_id}
    return parse_message(raw, source=source, received_at=RECEIVED)


def check_dedupe(sent: Sequence[Sequence[Message]], answers: Sequence[list[Offset]]) -> None:
    """Each key got one offset, whoever sent it; new keys got increasing offsets in order."""
    first: dict[tuple[str, str], Offset] = {}
    previous = Offset(0)
    for batch, offsets in zip(sent, answers, strict=True):
        assert len(offsets) == len(batch)
        for msg, offset in zip(batch, offsets, strict=True):
            if msg.dedupe_key in first:
                assert offset == first[msg.dedupe_key]
            else:
                assert offset > previous
                first[msg.dedupe_key] = previous = offset


@settings(max_examples=60, deadline=None)
@given(batches)
def test_sequential_appends_never_store_a_key_twice(sent: list[list[Message]]) -> None:
    async def body(log: SQLiteEventLog) -> None:
        answers = [await log.append(batch) for batch in sent]
        check_dedupe(sent, answers)
        records = await log.read(Offset(0), 10_000)
        keys = [(r.message.source, r.message.message_id) for r in records]
        assert len(keys) == len(set(keys))
        assert set(keys) == {m.dedupe_key for batch in sent for m in batch}
        assert [r.offset for r in records] == sorted({o for a in answers for o in a})
        # What was stored is the first message sent with its key.
        firsts: dict[tuple[str, str], Message] = {}
        for batch in sent:
            for msg in batch:
                firsts.setdefault(msg.dedupe_key, msg)
        assert all(r.message == firsts[r.message.dedupe_key] for r in records)

    with_log(body)


@settings(max_examples=60, deadline=None)
@given(batches)
def test_concurrent_appends_never_store_a_key_twice(sent: list[list[Message]]) -> None:
    """All batches in flight at once share group commits; dedupe holds across them."""

    async def body(log: SQLiteEventLog) -> None:
        answers = await asyncio.gather(*(log.append(batch) for batch in sent))
        # gather submits in order and the writer serves its queue in order.
        check_dedupe(sent, answers)
        records = await log.read(Offset(0), 10_000)
        keys = [r.message.dedupe_key for r in records]
        assert len(keys) == len(set(keys)) == len({m.dedupe_key for b in sent for m in b})
        assert await log.last_offset() == max((r.offset for r in records), default=0)

    with_log(body)


@settings(max_examples=30, deadline=None)
@given(batches, st.data())
def test_dedupe_survives_a_reopen(sent: list[list[Message]], data: st.DataObject) -> None:
    """A retried batch after a restart gets its first offsets back, and nothing twice."""
    split = data.draw(st.integers(0, len(sent)))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.db"

        async def run(part: list[list[Message]]) -> list[list[Offset]]:
            log = SQLiteEventLog(path, fsync="normal")
            try:
                return [await log.append(batch) for batch in part]
            finally:
                await log.close()

        before = asyncio.run(run(sent[:split]))
        after = asyncio.run(run(sent[split:] + sent[:split]))
    check_dedupe(sent + sent[:split], before + after)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 60), st.integers(1, 25), st.integers(0, 70))
def test_pages_give_the_whole_log_in_order(count: int, limit: int, start: int) -> None:
    async def body(log: SQLiteEventLog) -> None:
        offsets = await log.append([message(f"m{i}") for i in range(count)])
        pages: list[Offset] = []
        after = Offset(start)
        while page := await log.read(after, limit):
            assert len(page) <= limit
            assert all(r.offset > after for r in page)
            pages.extend(r.offset for r in page)
            after = page[-1].offset
        assert pages == [o for o in offsets if o > start]
        assert pages == sorted(set(pages))

    with_log(body)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b"]), st.integers(0, 2**63 - 1)), max_size=20))
def test_checkpoints_only_move_forward(moves: list[tuple[str, int]]) -> None:
    async def body(log: SQLiteEventLog) -> None:
        best: dict[str, int] = {}
        for consumer, offset in moves:
            await log.checkpoint(consumer, Offset(offset))
            best[consumer] = max(best.get(consumer, 0), offset)
            assert await log.committed(consumer) == best[consumer]
        assert await log.committed("never") == 0

    with_log(body)


def test_checkpoints_survive_a_reopen(tmp_path: Path) -> None:
    async def run(offset: int) -> int:
        log = SQLiteEventLog(tmp_path / "events.db")
        try:
            await log.checkpoint("profiles", Offset(offset))
            return await log.committed("profiles")
        finally:
            await log.close()

    assert asyncio.run(run(7)) == 7
    assert asyncio.run(run(3)) == 7


async def test_offsets_survive_a_reopen_and_are_never_reused(tmp_path: Path) -> None:
    log = SQLiteEventLog(tmp_path / "events.db")
    assert await log.append([message("m1"), message("m2")]) == [1, 2]
    await log.close()
    log = SQLiteEventLog(tmp_path / "events.db")
    try:
        assert await log.last_offset() == 2
        repeat, new = await log.append([message("m2"), message("m3")])
        assert repeat == 2
        assert new > 2  # offsets may skip (a deduplicated insert spends one), never go back
        assert await log.append([message("m2", source="pos")]) > [new]
    finally:
        await log.close()


async def test_wait_for_wakes_on_append(tmp_path: Path) -> None:
    log = SQLiteEventLog(tmp_path / "events.db")
    try:
        assert not await log.wait_for(Offset(0), timeout=0.01)
        waiter = asyncio.ensure_future(log.wait_for(Offset(0), timeout=5))
        await asyncio.sleep(0)
        await log.append([message("m1")])
        assert await waiter
        assert await log.wait_for(Offset(0), timeout=0)
    finally:
        await log.close()


async def test_dead_letters_keep_their_reason_and_stay_out_of_the_log(tmp_path: Path) -> None:
    log = SQLiteEventLog(tmp_path / "events.db")
    try:
        letters = [
            DeadLetter("web", RECEIVED, "batch[1].userId", "userId is required", b'{"a":1}'),
            DeadLetter("pos", RECEIVED, "body", "not JSON", b"\xff"),
        ]
        await log.dead_letter(letters)
        stored = await log.dead_letters(0, 10)
        assert [(d.source, d.field, d.reason, d.payload) for d in stored] == [
            (d.source, d.field, d.reason, d.payload) for d in letters
        ]
        assert stored[0].received_at == RECEIVED
        assert [d.id for d in await log.dead_letters(stored[0].id or 0, 10)] == [stored[1].id]
        assert await log.read(Offset(0), 10) == []
    finally:
        await log.close()


async def test_a_failing_job_does_not_stop_the_writer(tmp_path: Path) -> None:
    """An error that is not SQLite's fails its own request; later appends still commit."""
    log = SQLiteEventLog(tmp_path / "events.db")
    try:
        with pytest.raises(OverflowError):
            await asyncio.wait_for(log.checkpoint("c", Offset(2**64)), 5)
        await log.ping()
        assert await asyncio.wait_for(log.append([message("m1")]), 5) == [1]
    finally:
        await log.close()


async def test_a_closed_log_refuses_appends(tmp_path: Path) -> None:
    log = SQLiteEventLog(tmp_path / "events.db")
    await log.close()
    with pytest.raises(LogUnavailable):
        await log.append([message("m1")])
    with pytest.raises(LogUnavailable):
        await log.ping()
    await log.close()  # closing twice is harmless
