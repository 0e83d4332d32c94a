"""The background writers of exposures, measured events and decisions, on SQLite and on the
real PostgreSQL (a fresh schema each test): a row the store refuses is dropped, logged and
counted, the rows around it are written, and the writer thread goes on with later rows.

The refused rows: a NUL character in a ``text`` column for PostgreSQL; for SQLite, a lone
surrogate (not UTF-8) or an integer beyond 64 bits.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shopstream.core import CustomerId, DroppedWrites, Offset, ProductId
from shopstream.decide import DecisionId
from shopstream.measure import Exposure, LoggedDecision, MeasuredEvent
from shopstream.storage.postgres import (
    PostgresDecisionLog,
    PostgresExposureLog,
    PostgresOutcomeLog,
    migrate,
)
from shopstream.storage.sqlite import SQLiteDecisionLog, SQLiteExposureLog, SQLiteOutcomeLog
from shopstream.testing import POSTGRES_URL, scaleout_namespace

T = datetime(2026, 11, 26, 10, tzinfo=UTC)
DAY = (T, T + timedelta(days=1))


def exposure(n: int) -> Exposure:
    return Exposure(f"d{n}", CustomerId("c1"), "home", "web", (ProductId(f"p{n}"),),
                    ("trending",), "blend@1", T + timedelta(seconds=n), (1.0,))  # fmt: skip


def measured(n: int) -> MeasuredEvent:
    return MeasuredEvent(Offset(n), CustomerId("c1"), "Order Completed", "web",
                         T + timedelta(seconds=n), 10.0, f"o{n}", quantity=1)  # fmt: skip


def decision(n: int) -> LoggedDecision:
    return LoggedDecision(DecisionId(f"d{n}"), CustomerId("c1"), "trigger:t", "email", (),
                          "blend@1", T + timedelta(seconds=n))  # fmt: skip


@dataclass(frozen=True)
class Store:
    """How to make (good or refused by each backend), open and read one kind of row."""

    row: Callable[[int], Any]
    refused: dict[str, Callable[[Any], Any]]
    open: dict[str, Callable[..., Any]]
    written: Callable[[Any], set[int]]


STORES = {
    "exposures": Store(
        exposure,
        {"postgres": lambda e: replace(e, policy="p\x00"),  # (items are JSON bytes)
         "sqlite": lambda e: replace(e, customer_id=CustomerId("c\ud800"))},  # (items are JSON)
        {"sqlite": SQLiteExposureLog, "postgres": PostgresExposureLog},
        lambda log: {int(e.decision_id[1:]) for e in log.between(*DAY)},
    ),
    "outcomes": Store(
        measured,
        {"postgres": lambda m: replace(m, customer_id=CustomerId("c\x00")),  # (ids are bytes)
         "sqlite": lambda m: replace(m, quantity=2**63)},
        {"sqlite": SQLiteOutcomeLog, "postgres": PostgresOutcomeLog},
        lambda log: {int(e.offset) for e in log.between(*DAY)},
    ),
    "decisions": Store(
        decision,
        {"postgres": lambda d: replace(d, placement="trigger:t\x00"),
         "sqlite": lambda d: replace(d, placement="trigger:t\ud800")},
        {"sqlite": SQLiteDecisionLog, "postgres": PostgresDecisionLog},
        lambda log: {n for n in range(20) if log.get(f"d{n}") is not None},
    ),
}  # fmt: skip


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """``opener(store, **options)``: a log of ``store`` on this test's file or schema; every
    one opened is closed after the test."""
    opened: list[Any] = []
    with scaleout_namespace() as ns:
        if request.param == "postgres":
            migrate(POSTGRES_URL, ns.schema)

        def open_log(store: str, **options: Any) -> Any:
            make = STORES[store].open[request.param]
            where = (POSTGRES_URL, ns.schema) if request.param == "postgres" else (
                tmp_path / f"{store}.db",)  # fmt: skip
            log = make(*where, **options)
            opened.append(log)
            return log

        open_log.backend = request.param  # type: ignore[attr-defined]
        yield open_log
        for log in opened:
            log.close()


@pytest.mark.parametrize("store", list(STORES))
def test_a_refused_row_is_dropped_logged_and_counted_and_the_rest_written(
    opener: Callable[..., Any], store: str, caplog: pytest.LogCaptureFixture
) -> None:
    kind, backend = STORES[store], opener.backend  # type: ignore[attr-defined]
    dropped = DroppedWrites()
    log = opener(store, flush_seconds=60, dropped=dropped)
    for n in range(10):
        log.record(kind.refused[backend](kind.row(n)) if n == 6 else kind.row(n))
    with caplog.at_level(logging.ERROR):
        log.flush()  # one batch: refused whole, then written around row 6
    assert kind.written(log) == set(range(10)) - {6}
    assert dropped.counts() == {store: 1}
    [message] = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert message.startswith(f"{store}: dropped a row ")
    assert "refuses" in message


@pytest.mark.parametrize("store", list(STORES))
def test_the_writer_thread_goes_on_after_a_refused_row(
    opener: Callable[..., Any], store: str
) -> None:
    kind, backend = STORES[store], opener.backend  # type: ignore[attr-defined]
    dropped = DroppedWrites()
    log = opener(store, flush_seconds=0.02, dropped=dropped)
    reader = opener(store, flush_seconds=60)  # reads without flushing the writer's queue

    def wait_for(wanted: set[int]) -> None:
        deadline = time.monotonic() + 10
        while not wanted <= kind.written(reader):
            assert time.monotonic() < deadline, f"{wanted - kind.written(reader)} never written"
            time.sleep(0.02)

    for n in range(3):
        log.record(kind.refused[backend](kind.row(n)) if n == 1 else kind.row(n))
    wait_for({0, 2})
    log.record(kind.row(3))
    wait_for({3})
    assert kind.written(reader) == {0, 2, 3}
    assert dropped.counts() == {store: 1}


def test_sqlite_holds_the_rows_while_it_cannot_write(tmp_path: Path) -> None:
    """A locked file is not the rows' fault: they are held (nothing dropped), and written
    once it is free."""
    dropped = DroppedWrites()
    log = SQLiteOutcomeLog(tmp_path / "outcomes.db", flush_seconds=60, dropped=dropped)
    blocker = sqlite3.connect(tmp_path / "outcomes.db", isolation_level=None, timeout=0)
    try:
        blocker.execute("BEGIN IMMEDIATE")  # another writer holds the file
        log.record(measured(1))
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            log.flush()  # after SQLite's busy timeout
        blocker.execute("ROLLBACK")
        log.record(measured(2))
        log.flush()
        assert {int(e.offset) for e in log.between(*DAY)} == {1, 2}
        assert dropped.counts() == {"outcomes": 0}
    finally:
        log.close()
        blocker.close()
