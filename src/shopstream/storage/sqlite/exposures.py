"""Exposures in SQLite, written in the background in batches (:mod:`.queued`): ``record`` is
on the request path of every recommendation and decision."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from shopstream.core import CustomerId, DroppedWrites, ProductId
from shopstream.measure.exposures import Exposure
from shopstream.storage.sqlite.log import connect
from shopstream.storage.sqlite.queued import QueuedInserts

_SCHEMA = """
CREATE TABLE IF NOT EXISTS exposures (
    decision_id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    placement TEXT NOT NULL,
    channel TEXT NOT NULL,
    items TEXT NOT NULL,
    reasons TEXT NOT NULL,
    policy TEXT NOT NULL,
    at TEXT NOT NULL,
    propensities TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS exposures_customer ON exposures (customer_id, at);
CREATE INDEX IF NOT EXISTS exposures_at ON exposures (at);
"""


class SQLiteExposureLog:
    def __init__(
        self, path: Path, *, flush_seconds: float = 0.2, dropped: DroppedWrites | None = None
    ) -> None:
        self._conn = connect(path, fsync="normal")
        self._conn.executescript(_SCHEMA)
        columns = {row[1] for row in self._conn.execute("PRAGMA table_info(exposures)")}
        if "propensities" not in columns:  # a file from before decide logged propensities
            self._conn.execute(
                "ALTER TABLE exposures ADD COLUMN propensities TEXT NOT NULL DEFAULT '[]'"
            )
        self._lock = threading.Lock()
        self._writes: QueuedInserts[Exposure] = QueuedInserts(
            self._conn, self._lock,
            "INSERT OR IGNORE INTO exposures VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _row, store="exposures", dropped=dropped, flush_seconds=flush_seconds,
        )  # fmt: skip

    def record(self, exposure: Exposure) -> None:
        self._writes.put(exposure)

    def flush(self) -> None:
        self._writes.flush()

    def of_customer(self, customer_id: CustomerId, limit: int) -> Sequence[Exposure]:
        self.flush()
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM exposures WHERE customer_id = ? ORDER BY at DESC LIMIT ?",
                (customer_id, limit),
            ).fetchall()
        return [_exposure(row) for row in rows]

    def between(self, start: datetime, end: datetime) -> Sequence[Exposure]:
        """Exposures in ``[start, end)``; times are UTC ISO-8601 text, which sorts as time."""
        self.flush()
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM exposures WHERE at >= ? AND at < ? ORDER BY at",
                (start.astimezone(UTC).isoformat(), end.astimezone(UTC).isoformat()),
            ).fetchall()
        return [_exposure(row) for row in rows]

    def close(self) -> None:
        self._writes.stop()
        with self._lock:
            self._conn.close()


def _row(e: Exposure) -> tuple[object, ...]:
    return (e.decision_id, e.customer_id, e.placement, e.channel, json.dumps(e.items),
            json.dumps(e.reasons), e.policy, e.at.isoformat(), json.dumps(e.propensities))  # fmt: skip


_COLUMNS = "decision_id, customer_id, placement, channel, items, reasons, policy, at, propensities"


def _exposure(row: tuple[str, ...]) -> Exposure:
    d, c, p, ch, items, reasons, policy, at, props = row
    return Exposure(d, CustomerId(c), p, ch, tuple(ProductId(i) for i in json.loads(items)),
                    tuple(json.loads(reasons)), policy, datetime.fromisoformat(at),
                    tuple(json.loads(props)))  # fmt: skip
