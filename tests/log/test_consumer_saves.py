"""Periodic saves run in a forked child: the state saved is the state at the fork, the parent
goes on applying events meanwhile, and a failed child save changes nothing."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shopstream.core import Offset
from shopstream.events import Message, parse_message
from shopstream.log import Consumer, GcFreezer
from shopstream.log.consumer import can_fork
from shopstream.storage.sqlite import SQLiteEventLog, SQLiteStateStore

pytestmark = pytest.mark.skipif(not can_fork(), reason="forked saves are for Linux")

RECEIVED = datetime(2026, 11, 25, tzinfo=UTC)


class Counter:
    """Counts events per user; ``dump`` can be slow or fail, to see where it runs."""

    name = "counter"

    def __init__(self, dump_seconds: float = 0.0, fail: bool = False) -> None:
        self.offset = Offset(0)
        self.counts: dict[str, int] = {}
        self.dump_seconds = dump_seconds
        self.fail = fail

    def apply(self, events: Iterable[tuple[Offset, Message]]) -> None:
        for offset, message in events:
            if offset <= self.offset:
                continue
            user = str(message.user_id)
            self.counts[user] = self.counts.get(user, 0) + 1
            self.offset = offset

    def dump(self) -> bytes:
        time.sleep(self.dump_seconds)
        if self.fail:
            raise RuntimeError("disk on fire")
        return json.dumps({"offset": self.offset, "counts": self.counts}).encode()

    def load(self, state: bytes) -> None:
        data = json.loads(state)
        self.offset, self.counts = Offset(data["offset"]), data["counts"]


def messages(first: int, count: int) -> list[Message]:
    raws = [
        {"type": "track", "event": "Button Clicked", "userId": f"u{n % 7}", "messageId": f"m{n}"}
        for n in range(first, first + count)
    ]
    return [parse_message(raw, source="web", received_at=RECEIVED) for raw in raws]


def consumer(
    tmp_path: Path, processor: Counter
) -> tuple[SQLiteEventLog, SQLiteStateStore, Consumer]:
    log = SQLiteEventLog(tmp_path / "events.db", fsync="normal")
    states = SQLiteStateStore(tmp_path / "state.db", fsync="normal")
    return (
        log,
        states,
        Consumer(
            log, processor, states, slice_size=50, save_every_events=100, freezer=GcFreezer(None)
        ),
    )


def test_the_child_saves_the_state_at_the_fork_while_the_parent_goes_on(tmp_path: Path) -> None:
    async def run() -> None:
        processor = Counter(dump_seconds=1.0)
        log, states, worker = consumer(tmp_path, processor)
        await log.append(messages(0, 100))
        await worker.catch_up()  # 100 applied: a save is due and forks
        forked_at = processor.offset
        await log.append(messages(100, 40))
        started = time.monotonic()
        await worker.catch_up()  # the parent applies more while the child sleeps in dump
        assert time.monotonic() - started < 0.5, "the parent waited for the child's dump"
        assert processor.offset == forked_at + 40
        saved = await states.load("counter")
        assert saved is None  # the child is still writing
        await worker.stop(save=False)  # waits for the child
        offset, state = await states.load("counter") or (None, b"")
        assert offset == forked_at
        assert sum(json.loads(state)["counts"].values()) == forked_at
        await log.close()
        states.close()

    asyncio.run(run())


def test_a_failed_child_save_keeps_the_last_good_state(tmp_path: Path) -> None:
    async def run() -> None:
        processor = Counter()
        log, states, worker = consumer(tmp_path, processor)
        await log.append(messages(0, 100))
        await worker.catch_up()
        await worker.stop(save=False)
        good = await states.load("counter")
        assert good is not None and good[0] == 100

        processor.fail = True
        await log.append(messages(100, 100))
        await worker.catch_up()  # forks; the child's dump raises
        await worker.stop(save=False)
        assert await states.load("counter") == good

        processor.fail = False
        await worker.save()  # the next save (here on the loop) catches up
        saved = await states.load("counter")
        assert saved is not None and saved[0] == 200
        await log.close()
        states.close()

    asyncio.run(run())


def test_restart_from_a_forked_save_equals_one_clean_pass(tmp_path: Path) -> None:
    async def run() -> None:
        log, states, worker = consumer(tmp_path, Counter())
        await log.append(messages(0, 250))
        await worker.catch_up()
        await worker.stop(save=False)  # forked saves covered 100, 200 or 250 of the 250
        await log.close()
        states.close()

        resumed = Counter()
        log, states, worker = consumer(tmp_path, resumed)
        await worker.restore()
        # 250: the save forked at 100 was still running at 200, and had ended by 250
        assert resumed.offset in (100, 200, 250)
        await worker.catch_up()
        clean = Counter()
        clean.apply((r.offset, r.message) for r in await log.read(Offset(0), 1000))
        assert (resumed.offset, resumed.counts) == (clean.offset, clean.counts)
        await log.close()
        states.close()

    asyncio.run(run())


class SwallowingLog(SQLiteEventLog):
    """A log whose wait swallows the first cancellation, as redis-py did when an XREAD's
    timeout and a cancellation coincided."""

    swallowed = 0
    waiting: asyncio.Event | None = None  # set while the consumer waits here

    async def wait_for(self, after: Offset, timeout: float) -> bool:
        if self.waiting is not None:
            self.waiting.set()
        try:
            return await super().wait_for(after, timeout)
        except asyncio.CancelledError:
            if self.swallowed:
                raise
            self.swallowed += 1
            return False


async def test_stop_ends_the_consumer_even_when_the_log_swallows_the_cancellation(
    tmp_path: Path,
) -> None:
    log = SwallowingLog(tmp_path / "events.db", fsync="normal")
    states = SQLiteStateStore(tmp_path / "state.db", fsync="normal")
    follower = Consumer(log, Counter(), states, freezer=GcFreezer(None))
    follower.start()
    await log.append(messages(0, 10))
    assert await follower.wait_until(Offset(10))
    log.waiting = asyncio.Event()
    await asyncio.wait_for(log.waiting.wait(), 5)  # stopped inside the wait, as in the bug
    stopping = asyncio.ensure_future(follower.stop())
    done, _ = await asyncio.wait({stopping}, timeout=5)  # cancelling it would help it along
    assert done, "the consumer did not stop"
    assert log.swallowed == 1
    await log.close()
    states.close()
