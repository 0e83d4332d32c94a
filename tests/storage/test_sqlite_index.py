"""The embedded log's identity index: it follows the log in slices of any size, and a lookup
covers every event appended before it, however far behind the background indexing is."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopstream.core import Offset
from shopstream.events import Identifier, IdType, parse_message
from shopstream.storage.sqlite import SQLiteEventLog, SQLiteIdentityIndex

RECEIVED = datetime(2026, 11, 26, tzinfo=UTC)
SHOPPERS = 3


def appended(tmp_path: Path, count: int) -> None:
    raws = [{"type": "track", "event": "Clicked", "anonymousId": f"a{n % SHOPPERS}",
             "messageId": f"m{n}"} for n in range(count)]  # fmt: skip

    async def run() -> None:
        log = SQLiteEventLog(tmp_path / "events.db", fsync="normal")
        await log.append([parse_message(r, source="web", received_at=RECEIVED) for r in raws])
        await log.close()

    asyncio.run(run())


def anonymous(n: int) -> Identifier:
    return Identifier(IdType.ANONYMOUS_ID, f"a{n}")


@settings(max_examples=20, deadline=None)
@given(count=st.integers(0, 40), slices=st.lists(st.integers(1, 15), max_size=6))
def test_slices_index_exactly_what_they_say_and_lookups_see_everything(
    tmp_path_factory: pytest.TempPathFactory, count: int, slices: list[int]
) -> None:
    tmp_path = tmp_path_factory.mktemp("index")
    appended(tmp_path, count)
    index = SQLiteIdentityIndex(tmp_path / "index.db", tmp_path / "events.db")
    done = 0
    for limit in slices:
        indexed = index.catch_up(limit)
        assert indexed == min(limit, count - done)
        done += indexed
        assert index.reached() == done
    for shopper in range(SHOPPERS):
        # a lookup catches up with what the slices left
        assert index.offsets([anonymous(shopper)]) == [
            Offset(n + 1) for n in range(count) if n % SHOPPERS == shopper
        ]
    assert index.catch_up() == 0
    index.close()
