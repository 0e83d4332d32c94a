"""Measured events (:class:`shopstream.measure.OutcomeLog`) in SQLite, written in batches.

``record`` runs for every processed event that measure keeps, so it only queues; a writer
thread commits what is queued every ``flush_seconds``. Rows are keyed by log offset: the
events a crash loses from here are replayed from the log into the same keys.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from shopstream.core import CustomerId, DroppedWrites, Offset
from shopstream.measure import MeasuredEvent
from shopstream.storage.sqlite.log import connect
from shopstream.storage.sqlite.queued import QueuedInserts

_SCHEMA = """
CREATE TABLE IF NOT EXISTS measured_events (
    offset INTEGER PRIMARY KEY,
    customer_id TEXT NOT NULL,
    event TEXT NOT NULL,
    channel TEXT NOT NULL,
    at REAL NOT NULL,
    revenue REAL NOT NULL,
    order_id TEXT NOT NULL,
    trigger_id TEXT NOT NULL,
    offer_id TEXT NOT NULL,
    key TEXT NOT NULL,
    quantity INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS measured_events_at ON measured_events (at);
"""
_COLUMNS = (
    "offset, customer_id, event, channel, at, revenue, order_id, trigger_id, offer_id, key, "
    "quantity"
)


class SQLiteOutcomeLog:
    def __init__(
        self, path: Path, *, flush_seconds: float = 0.2, dropped: DroppedWrites | None = None
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = connect(path, fsync="normal")
        self._conn.executescript(_SCHEMA)
        self._lock = threading.Lock()
        self._writes: QueuedInserts[MeasuredEvent] = QueuedInserts(
            self._conn, self._lock,
            f"INSERT OR IGNORE INTO measured_events ({_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _row, store="outcomes", dropped=dropped, flush_seconds=flush_seconds,
        )  # fmt: skip

    def record(self, event: MeasuredEvent) -> None:
        self._writes.put(event)

    def flush(self) -> None:
        self._writes.flush()

    def between(self, start: datetime, end: datetime) -> Sequence[MeasuredEvent]:
        self.flush()
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM measured_events WHERE at >= ? AND at < ? "
                "ORDER BY at, offset",
                (start.timestamp(), end.timestamp()),
            ).fetchall()
        return [
            MeasuredEvent(Offset(o), CustomerId(c), ev, ch, datetime.fromtimestamp(at, UTC),
                          rev, order, trig, offer, key, qty)
            for o, c, ev, ch, at, rev, order, trig, offer, key, qty in rows
        ]  # fmt: skip

    def close(self) -> None:
        self._writes.stop()
        with self._lock:
            self._conn.close()


def _row(e: MeasuredEvent) -> tuple[object, ...]:
    return (e.offset, e.customer_id, e.event, e.channel, e.at.timestamp(), e.revenue,
            e.order_id, e.trigger_id, e.offer_id, e.key, e.quantity)  # fmt: skip


__all__ = ("SQLiteOutcomeLog",)
