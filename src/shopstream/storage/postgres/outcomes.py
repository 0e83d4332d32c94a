"""Measured events (:class:`shopstream.measure.OutcomeLog`) in PostgreSQL, written in batches.

``record`` runs for every processed event that measure keeps, so it only queues; a writer
thread commits the queue every ``flush_seconds`` (:mod:`._queued`). Rows are keyed by log
offset: the events a crash loses from here are replayed from the log into the same keys, and
every API process following the log records the same rows, which are written once. The ids
taken from the event's properties are stored as UTF-8 bytes (migration 0007): ``text`` would
refuse the NUL one may carry.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from shopstream.core import CustomerId, Offset
from shopstream.measure import MeasuredEvent
from shopstream.storage.postgres._queued import QueuedStore

if TYPE_CHECKING:
    import psycopg

_COLUMNS = (
    '"offset", customer_id, event, channel, at, revenue, order_id, trigger_id, offer_id, key, '
    "quantity"
)


class PostgresOutcomeLog(QueuedStore[MeasuredEvent]):
    store = "outcomes"

    def _insert(self, conn: psycopg.Connection, items: list[MeasuredEvent]) -> int:
        return _insert(conn, items)

    def between(self, start: datetime, end: datetime) -> Sequence[MeasuredEvent]:
        self.flush()
        rows = self._db.run(
            lambda conn: conn.execute(
                f"SELECT {_COLUMNS} FROM measured_events WHERE at >= %s AND at < %s"
                ' ORDER BY at, "offset"',
                (start, end),
            ).fetchall()
        )
        return [
            MeasuredEvent(Offset(o), CustomerId(c), ev, ch, at.astimezone(UTC), rev,
                          bytes(order).decode(), bytes(trig).decode(), bytes(offer).decode(),
                          bytes(key).decode(), qty)
            for o, c, ev, ch, at, rev, order, trig, offer, key, qty in rows
        ]  # fmt: skip


def _insert(conn: psycopg.Connection, events: list[MeasuredEvent]) -> int:
    rows = [
        (e.offset, e.customer_id, e.event, e.channel, e.at, e.revenue, e.order_id.encode(),
         e.trigger_id.encode(), e.offer_id.encode(), e.key.encode(), e.quantity)
        for e in events
    ]  # fmt: skip
    cursor = conn.cursor()
    cursor.executemany(
        f"INSERT INTO measured_events ({_COLUMNS}) VALUES"
        " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
        rows,
    )
    return cursor.rowcount
