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

from shopstream.core import CustomerId, ProductId
from shopstream.measure import Exposure
from shopstream.storage.postgres._queued import QueuedStore

if TYPE_CHECKING:
    import psycopg


class PostgresExposureLog(QueuedStore[Exposure]):
    store = "exposures"

    def _insert(self, conn: psycopg.Connection, items: list[Exposure]) -> int:
        return _insert(conn, items)

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
