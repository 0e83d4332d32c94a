"""Exposures in SQLite: read by customer and by time window, propensities kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from shopstream.core import CustomerId, ProductId
from shopstream.measure import Exposure
from shopstream.storage.sqlite import SQLiteExposureLog

T = datetime(2026, 11, 25, 10, tzinfo=UTC)


def exposure(n: int, minutes: float) -> Exposure:
    return Exposure(f"d{n}", CustomerId(f"c{n % 2}"), "home", "web", (ProductId("p1"),),
                    ("trending",), "linucb@1", T + timedelta(minutes=minutes), (0.25,))  # fmt: skip


def test_between_reads_a_window_in_time_order(tmp_path: Path) -> None:
    log = SQLiteExposureLog(tmp_path / "exposures.db")
    for n, minutes in enumerate([30, -5, 0, 59.99, 60]):
        log.record(exposure(n, minutes))
    lisbon = timezone(timedelta(hours=1))  # a window given in another zone means the same
    found = log.between(T.astimezone(lisbon), (T + timedelta(hours=1)).astimezone(lisbon))
    assert [e.decision_id for e in found] == ["d2", "d0", "d3"]
    assert found[0].propensities == (0.25,)
    assert [e.decision_id for e in log.of_customer(CustomerId("c1"), 10)] == ["d3", "d1"]
    log.close()
