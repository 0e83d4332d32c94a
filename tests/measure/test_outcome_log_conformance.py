"""One suite over every :class:`OutcomeLog`: memory, SQLite, and PostgreSQL (the real server,
a fresh schema each test). Rows are keyed by log offset, so a replay adds nothing."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shopstream.core import CustomerId, Offset
from shopstream.measure import MeasuredEvent, MemoryOutcomeLog, OutcomeLog
from shopstream.storage.postgres import PostgresOutcomeLog, migrate
from shopstream.storage.sqlite import SQLiteOutcomeLog
from shopstream.testing import POSTGRES_URL, scaleout_namespace

T0 = datetime(2026, 11, 25, 10, tzinfo=UTC)


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.integration)]
)
def outcomes(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OutcomeLog]:
    if request.param == "memory":
        yield MemoryOutcomeLog()
    elif request.param == "sqlite":
        lite = SQLiteOutcomeLog(tmp_path / "outcomes.db", flush_seconds=60)
        yield lite
        lite.close()
    else:
        with scaleout_namespace() as ns:
            migrate(POSTGRES_URL, ns.schema)
            pg = PostgresOutcomeLog(POSTGRES_URL, ns.schema, flush_seconds=60)
            yield pg
            pg.close()


def measured(
    offset: int, at: datetime, event: str = "Order Completed", **fields: object
) -> MeasuredEvent:
    return MeasuredEvent(Offset(offset), CustomerId(f"c{offset % 3}"), event, "web", at, **fields)  # type: ignore[arg-type]


def test_every_field_comes_back_and_reads_flush_what_is_queued(outcomes: OutcomeLog) -> None:
    order = measured(7, T0, revenue=129.95, order_id="o-7", trigger_id="cart-abandon",
                     offer_id="10off", key="act-1", quantity=3)  # fmt: skip
    click = measured(8, T0 + timedelta(seconds=1), "Email Link Clicked", key="act-1")
    outcomes.record(order)
    outcomes.record(click)
    assert list(outcomes.between(T0, T0 + timedelta(minutes=1))) == [order, click]
    found = outcomes.between(T0, T0 + timedelta(minutes=1))[0]
    assert found.at.utcoffset() == timedelta(0)


def test_ids_an_event_carried_come_back_whole(outcomes: OutcomeLog) -> None:
    """A NUL (legitimate JSON, kept by the event log) and an order of billions of units."""
    order = measured(7, T0, revenue=1.5, order_id="o\x00-7", trigger_id="t\x00",
                     offer_id="f\u00e9\x00", key="k\x00", quantity=3_000_000_000)  # fmt: skip
    outcomes.record(order)
    assert list(outcomes.between(T0, T0 + timedelta(minutes=1))) == [order]


def test_between_is_half_open_and_ordered_by_time_then_offset(outcomes: OutcomeLog) -> None:
    for offset, seconds in ((5, 20), (3, 10), (4, 10), (1, 0), (9, 30)):
        outcomes.record(measured(offset, T0 + timedelta(seconds=seconds)))
    window = outcomes.between(T0 + timedelta(seconds=10), T0 + timedelta(seconds=30))
    assert [e.offset for e in window] == [3, 4, 5]


def test_an_offset_recorded_again_keeps_its_first_row(outcomes: OutcomeLog) -> None:
    outcomes.record(measured(1, T0, revenue=10.0))
    outcomes.flush()
    outcomes.record(measured(1, T0, revenue=99.0))
    outcomes.record(measured(2, T0, revenue=5.0))
    assert [(e.offset, e.revenue) for e in outcomes.between(T0, T0 + timedelta(1))] == [
        (1, 10.0), (2, 5.0),
    ]  # fmt: skip


_windows = itertools.count()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.lists(st.integers(0, 30), max_size=8), max_size=6), st.randoms())
def test_replays_in_any_batches_and_order_add_nothing(
    outcomes: OutcomeLog, batches: list[list[int]], rng: random.Random
) -> None:
    """The stream recorded, then replayed from anywhere in other batches (a restart from an
    older snapshot, or a second API process): each offset once, as first recorded."""
    base = next(_windows) * 1000  # the store outlives examples: each its own offsets and day
    start = T0 + timedelta(days=base)

    def event(i: int, revenue: float = 0.0) -> MeasuredEvent:
        return measured(base + i, start + timedelta(seconds=i % 7), revenue=revenue, quantity=i)

    for batch in batches:
        for i in batch:
            outcomes.record(event(i))
        outcomes.flush()
    replay = [i for batch in batches for i in batch]
    rng.shuffle(replay)
    for i in replay:
        outcomes.record(event(i, revenue=1.0))  # a changed row must not replace the first
    got = outcomes.between(start, start + timedelta(days=1))
    held = sorted({i for batch in batches for i in batch}, key=lambda i: (i % 7, i))
    assert list(got) == [event(i) for i in held]
