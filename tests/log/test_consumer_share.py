"""While collection requests are in flight, processing takes at most its share of the loop:
after each small step it pauses for the rest, yet it never stops moving on."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shopstream.core import Offset
from shopstream.events import Message, parse_message
from shopstream.log import Consumer, GcFreezer
from shopstream.storage.sqlite import SQLiteEventLog, SQLiteStateStore

RECEIVED = datetime(2026, 11, 26, tzinfo=UTC)
COST = 0.002  # seconds of CPU each event takes to apply


class Slow:
    """Spins ``COST`` seconds an event, as a processor on a big state does."""

    name = "slow"

    def __init__(self) -> None:
        self.offset = Offset(0)
        self.steps: list[int] = []

    def apply(self, events: Iterable[tuple[Offset, Message]]) -> None:
        count = 0
        for offset, _ in events:
            until = time.perf_counter() + COST
            while time.perf_counter() < until:
                pass
            self.offset = offset
            count += 1
        self.steps.append(count)

    def dump(self) -> bytes:
        return str(self.offset).encode()

    def load(self, state: bytes) -> None:
        self.offset = Offset(int(state))


async def run(tmp_path: Path, *, busy: bool, events: int = 12) -> tuple[Slow, list[float]]:
    log = SQLiteEventLog(tmp_path / "events.db", fsync="normal")
    states = SQLiteStateStore(tmp_path / "state.db", fsync="normal")
    raws = [{"type": "track", "event": "Clicked", "userId": "u", "messageId": f"m{n}"}
            for n in range(events)]  # fmt: skip
    await log.append([parse_message(r, source="web", received_at=RECEIVED) for r in raws])
    processor = Slow()
    consumer = Consumer(
        log, processor, states, step=2, busy=lambda: busy, busy_share=0.25,
        freezer=GcFreezer(None), fork_saves=False,
    )  # fmt: skip
    pauses: list[float] = []
    sleep = asyncio.sleep

    async def recorded(delay: float) -> None:
        pauses.append(delay)
        await sleep(delay)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(asyncio, "sleep", recorded)
        assert await consumer.catch_up() == events
    await log.close()
    states.close()
    return processor, pauses


def test_while_busy_processing_pauses_three_times_as_long_as_each_step_took(
    tmp_path: Path,
) -> None:
    processor, pauses = asyncio.run(run(tmp_path, busy=True))
    assert processor.offset == 12  # never starved: everything was applied, busy as it was
    assert processor.steps == [2] * 6
    # a step of two events spins at least 4 ms; a 0.25 share leaves three times that to requests
    assert len(pauses) == 6
    assert all(pause >= 3 * 2 * COST for pause in pauses)


def test_otherwise_a_slice_is_applied_whole_without_pausing(tmp_path: Path) -> None:
    processor, pauses = asyncio.run(run(tmp_path, busy=False))
    assert processor.steps == [12]
    assert pauses == [0.0]


@pytest.mark.parametrize("share", [0.0, -0.5, 1.5])
def test_a_share_outside_zero_to_one_is_refused(tmp_path: Path, share: float) -> None:
    log = SQLiteEventLog(tmp_path / "events.db", fsync="normal")
    states = SQLiteStateStore(tmp_path / "state.db", fsync="normal")
    with pytest.raises(ValueError, match="busy_share"):
        Consumer(log, Slow(), states, busy_share=share)
    asyncio.run(log.close())
    states.close()
