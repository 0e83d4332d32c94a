"""Exposures in SQLite, written in the background in batches.

``record`` is on the request path of every recommendation, so it only queues; a writer
thread commits what is queued every ``flush_seconds``. An exposure is a record of what was
shown, not an acknowledged event: a crash may lose the last fraction of a second of them.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from shopstream.core import CustomerId, ProductId
from shopstream.measure.exposures import Exposure
from shopstream.storage.sqlite.log import connect

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
"""


class SQLiteExposureLog:
    def __init__(self, path: Path, *, flush_seconds: float = 0.2) -> None:
        self._conn = connect(path, fsync="normal")
        self._conn.executescript(_SCHEMA)
        columns = {row[1] for row in self._conn.execute("PRAGMA table_info(exposures)")}
        if "propensities" not in columns:  # a file from before decide logged propensities
            self._conn.execute(
                "ALTER TABLE exposures ADD COLUMN propensities TEXT NOT NULL DEFAULT '[]'"
            )
        self._queue: queue.SimpleQueue[Exposure] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._flush_seconds = flush_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="exposure-writer", daemon=True)
        self._thread.start()

    def record(self, exposure: Exposure) -> None:
        self._queue.put(exposure)

    def _run(self) -> None:
        while not self._stop.wait(self._flush_seconds):
            self.flush()

    def flush(self) -> None:
        rows = []
        while True:
            try:
                e = self._queue.get_nowait()
            except queue.Empty:
                break
            rows.append((e.decision_id, e.customer_id, e.placement, e.channel,
                         json.dumps(e.items), json.dumps(e.reasons), e.policy,
                         e.at.isoformat(), json.dumps(e.propensities)))  # fmt: skip
        if rows:
            with self._lock, self._conn:
                self._conn.executemany(
                    "INSERT OR IGNORE INTO exposures VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
                )

    def of_customer(self, customer_id: CustomerId, limit: int) -> Sequence[Exposure]:
        self.flush()
        with self._lock:
            rows = self._conn.execute(
                "SELECT decision_id, customer_id, placement, channel, items, reasons, policy, at, "
                "propensities "
                "FROM exposures WHERE customer_id = ? ORDER BY at DESC LIMIT ?",
                (customer_id, limit),
            ).fetchall()
        return [
            Exposure(d, CustomerId(c), p, ch, tuple(ProductId(i) for i in json.loads(items)),
                     tuple(json.loads(reasons)), policy, datetime.fromisoformat(at),
                     tuple(json.loads(props)))
            for d, c, p, ch, items, reasons, policy, at, props in rows
        ]  # fmt: skip

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.flush()
        with self._lock:
            self._conn.close()
