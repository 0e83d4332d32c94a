"""The 32 KB limit is on an event as sent; the check measures it only when the logged form,
which the collector makes anyway, is over the limit."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import orjson

from shopstream.log import Collector, Rejection
from shopstream.storage.sqlite import SQLiteEventLog

RECEIVED = datetime(2026, 11, 26, tzinfo=UTC)
LIMIT = 2_000


def event(filler: int, n: int = 0) -> dict[str, object]:
    return {"type": "track", "event": "Note Taken", "anonymousId": "a1", "messageId": f"m{n}",
            "properties": {"text": "x" * filler}}  # fmt: skip


def sized(size: int, n: int = 0) -> dict[str, object]:
    """An event of exactly ``size`` bytes as compact JSON."""
    bare = len(orjson.dumps(event(0, n)))
    raw = event(size - bare, n)
    assert len(orjson.dumps(raw)) == size
    return raw


def collect(tmp_path: Path, raws: list[dict[str, object]]) -> tuple[list[int], list[Rejection]]:
    async def run() -> tuple[list[int], list[Rejection]]:
        log = SQLiteEventLog(tmp_path / "events.db", fsync="normal")
        collector = Collector(log, max_event_bytes=LIMIT)
        result = await collector.collect(raws, source="web", received_at=RECEIVED)
        stored = [r.offset for r in await log.read(0, 100)]
        await log.close()
        return stored, list(result.rejections)

    return asyncio.run(run())


def test_an_event_at_the_limit_as_sent_is_kept_though_its_logged_form_is_bigger(
    tmp_path: Path,
) -> None:
    stored, rejections = collect(tmp_path, [sized(LIMIT)])
    assert rejections == []
    assert stored == [1]


def test_an_event_one_byte_over_is_refused_by_index_and_its_neighbours_kept(
    tmp_path: Path,
) -> None:
    stored, rejections = collect(tmp_path, [sized(100, 0), sized(LIMIT + 1, 1), sized(100, 2)])
    assert stored == [1, 2]
    [rejection] = rejections
    assert rejection.index == 1
    assert rejection.field == "batch[1]"
    assert f"event is {LIMIT + 1:,} bytes; the limit is {LIMIT:,}" in rejection.reason
