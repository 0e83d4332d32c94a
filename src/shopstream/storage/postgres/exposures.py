"""Exposures in PostgreSQL (:class:`shopstream.measure.ExposureLog`), written in batches.

As in the embedded backend, ``record`` only queues (it is on every recommendation's path) and
a writer thread commits the queue every ``flush_seconds`` (:mod:`._queued`): an exposure is a
record of what was shown, not an acknowledged event, and a crash may lose the last fraction of
a second of them. While PostgreSQL is away the queue is kept and written when it is back.
Items and reasons are JSON bytes (migration 0007): ``jsonb`` would refuse the NUL a product id
from an event's properties may carry.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson

from shopstream.core import CustomerId, DroppedWrites, ProductId
from shopstream.measure import Exposure
from shopstream.storage.postgres._connection import SharedConnection
from shopstream.storage.postgres._queued import QueuedWrites

if TYPE_CHECKING:
    import psycopg


class PostgresExposureLog:
    def __init__(
        self,
        url: str,
        schema: str = "shopstream",
        *,
        flush_seconds: float = 0.2,
        dropped: DroppedWrites | None = None,
    ) -> None:
        self._db = SharedConnection(url, schema)
        self._writes: QueuedWrites[Exposure] = QueuedWrites(
            self._db,
            _insert,
            store="exposures",
            dropped=dropped,
            flush_seconds=flush_seconds,
        )

    def record(self, exposure: Exposure) -> None:
        self._writes.put((exposure,))

    def flush(self) -> None:
        self._writes.flush()

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
        self._writes.stop()
        self._db.close()


_COLUMNS = "decision_id, customer_id, placement, channel, items, reasons, policy, at, propensities"


def _insert(conn: psycopg.Connection, exposures: list[Exposure]) -> int:
    rows = [
        (e.decision_id, e.customer_id, e.placement, e.channel, orjson.dumps(e.items),
         orjson.dumps(e.reasons), e.policy, e.at, orjson.dumps(e.propensities).decode())
        for e in exposures
    ]  # fmt: skip
    cursor = conn.cursor()
    cursor.executemany(
        f"INSERT INTO exposures ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT DO NOTHING",
        rows,
    )
    return cursor.rowcount


def _exposure(row: tuple[Any, ...]) -> Exposure:
    d, c, p, ch, items, reasons, policy, at, propensities = row
    return Exposure(d, CustomerId(c), p, ch, tuple(ProductId(i) for i in orjson.loads(items)),
                    tuple(orjson.loads(reasons)), policy, at, tuple(propensities))  # fmt: skip
