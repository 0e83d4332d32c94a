"""Exposures in PostgreSQL (:class:`shopstream.measure.ExposureLog`), written in batches.

As in the embedded backend, ``record`` only queues (it is on every recommendation's path) and
a writer thread commits the queue every ``flush_seconds``: an exposure is a record of what was
shown, not an acknowledged event, and a crash may lose the last fraction of a second of them.
While PostgreSQL is away the queue is kept and written when it is back.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson

from shopstream.core import CustomerId, ProductId
from shopstream.measure import Exposure
from shopstream.storage.postgres._connection import PostgresUnavailable, SharedConnection

logger = logging.getLogger(__name__)


class PostgresExposureLog:
    def __init__(self, url: str, schema: str = "shopstream", *, flush_seconds: float = 0.2) -> None:
        self._db = SharedConnection(url, schema)
        self._queue: queue.SimpleQueue[Exposure] = queue.SimpleQueue()
        self._held: list[Exposure] = []
        self._flush_lock = threading.Lock()
        self._flush_seconds = flush_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="exposure-writer", daemon=True)
        self._thread.start()

    def record(self, exposure: Exposure) -> None:
        self._queue.put(exposure)

    def _run(self) -> None:
        while not self._stop.wait(self._flush_seconds):
            try:
                self.flush()
            except PostgresUnavailable:
                logger.warning("exposures held until PostgreSQL is back (%d)", len(self._held))

    def flush(self) -> None:
        with self._flush_lock:
            while True:
                try:
                    self._held.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if not self._held:
                return
            rows = [
                (e.decision_id, e.customer_id, e.placement, e.channel, orjson.dumps(e.items).decode(),
                 orjson.dumps(e.reasons).decode(), e.policy, e.at,
                 orjson.dumps(e.propensities).decode())
                for e in self._held
            ]  # fmt: skip
            self._db.run(
                lambda conn: conn.cursor().executemany(
                    f"INSERT INTO exposures ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
                    " ON CONFLICT DO NOTHING",
                    rows,
                )
            )
            self._held = []

    def of_customer(self, customer_id: CustomerId, limit: int) -> Sequence[Exposure]:
        self.flush()
        rows = self._db.run(
            lambda conn: conn.execute(
                f"SELECT {_COLUMNS} FROM exposures WHERE customer_id = %s"
                " ORDER BY at DESC LIMIT %s",
                (customer_id, limit),
            ).fetchall()
        )
        return [_exposure(row) for row in rows]

    def between(self, start: datetime, end: datetime) -> Sequence[Exposure]:
        """Exposures in ``[start, end)``, oldest first."""
        self.flush()
        rows = self._db.run(
            lambda conn: conn.execute(
                f"SELECT {_COLUMNS} FROM exposures WHERE at >= %s AND at < %s ORDER BY at",
                (start, end),
            ).fetchall()
        )
        return [_exposure(row) for row in rows]

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        try:
            self.flush()
        except PostgresUnavailable:
            logger.warning("%d exposures not written: PostgreSQL is unavailable", len(self._held))
        self._db.close()


_COLUMNS = "decision_id, customer_id, placement, channel, items, reasons, policy, at, propensities"


def _exposure(row: tuple[Any, ...]) -> Exposure:
    d, c, p, ch, items, reasons, policy, at, propensities = row
    return Exposure(d, CustomerId(c), p, ch, tuple(ProductId(i) for i in items),
                    tuple(reasons), policy, at, tuple(propensities))  # fmt: skip
