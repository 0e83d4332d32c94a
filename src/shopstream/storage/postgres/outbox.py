"""The outbox (:class:`shopstream.deliver.Outbox`) in PostgreSQL, shared by every API process.

Every API process follows the same log, so each fires the same triggers and puts the same
activations: ``put`` is one ``INSERT ... ON CONFLICT (key) DO NOTHING``, committed before it
returns, and the first process to put a key stores it. While PostgreSQL is away ``put``
holds the activations and a thread writes them, in order, when it is back (``put`` runs in the
stream's path, which must not fail halfway through an event; a crash meanwhile loses what is
held, unless another process following the log stored it).

Any number of deliverers (one per ``serve`` process) claim from the one table: a claim is one
``UPDATE`` of rows picked ``FOR UPDATE SKIP LOCKED`` whose lease (``due_at``) has run out, so
two deliverers never hold the same entry at once, and a deliverer that dies leaves its
entries to come due again when their lease ends.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson

from shopstream.core import CustomerId
from shopstream.decide import Activation
from shopstream.deliver import (
    DeliveryOutcome,
    EntryStatus,
    OutboxEntry,
    OutcomeStatus,
    Settlement,
)
from shopstream.storage.postgres._connection import PostgresUnavailable, SharedConnection

if TYPE_CHECKING:
    import psycopg

logger = logging.getLogger(__name__)

_COLUMNS = (
    "id, key, customer_id, channel, kind, trigger_id, offer_id, decision_id, payload, at, "
    "status, attempts, due_at, updated_at, last_error"
)


class PostgresOutbox:
    """:class:`~shopstream.deliver.Outbox` on a PostgreSQL table (see the module docstring)."""

    def __init__(self, url: str, schema: str = "shopstream", *, retry_seconds: float = 1.0) -> None:
        self._db = SharedConnection(url, schema)
        self._watchers: list[Callable[[], None]] = []
        self._held: list[Activation] = []
        self._held_lock = threading.Lock()  # only around list operations: never waits on I/O
        self._write_lock = threading.Lock()
        self._retry_seconds = retry_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._retry_forever, name="outbox-writer",
                                        daemon=True)  # fmt: skip
        self._thread.start()

    def put(self, activations: Sequence[Activation]) -> int:
        """Store ``activations``; how many were new. While earlier ones are held (PostgreSQL
        was away) these queue behind them without trying the database (a connection attempt
        can take seconds), and count as new when the thread writes them."""
        if not activations:
            return 0
        with self._held_lock:
            if self._held:
                self._held.extend(activations)
                return 0
        try:
            with self._write_lock:
                stored = self._db.run(lambda conn: _insert(conn, activations))
        except PostgresUnavailable:
            with self._held_lock:
                self._held.extend(activations)
            logger.warning("outbox: activations held until PostgreSQL is back")
            return 0
        self._woken(stored)
        return len(stored)

    def _write_held(self) -> None:
        with self._write_lock:
            with self._held_lock:
                batch = list(self._held)
            if not batch:
                return
            stored = self._db.run(lambda conn: _insert(conn, batch))
            with self._held_lock:
                del self._held[: len(batch)]
        self._woken(stored)

    def _woken(self, stored: set[str]) -> None:
        if stored:
            for callback in self._watchers:
                callback()

    def _retry_forever(self) -> None:
        while not self._stop.wait(self._retry_seconds):
            try:
                self._write_held()
            except PostgresUnavailable:
                logger.warning("outbox: %d activations still held", len(self._held))

    def watch(self, callback: Callable[[], None]) -> None:
        self._watchers.append(callback)

    def claim(
        self,
        *,
        now: datetime,
        limit: int,
        lease: timedelta,
        channels: Collection[str] | None = None,
    ) -> list[OutboxEntry]:
        where, args = "status = %s AND due_at <= %s", [EntryStatus.PENDING.value, now]
        if channels is not None:
            where += " AND channel = ANY(%s)"
            args.append(list(channels))
        sql = (
            f"UPDATE outbox SET attempts = attempts + 1, due_at = %s WHERE id IN "
            f"(SELECT id FROM outbox WHERE {where} ORDER BY due_at, id LIMIT %s "
            f"FOR UPDATE SKIP LOCKED) RETURNING {_COLUMNS}"
        )
        rows = self._db.run(
            lambda conn: conn.execute(sql, (now + lease, *args, max(0, limit))).fetchall()
        )
        return sorted((_entry(row) for row in rows), key=lambda e: e.id)

    def settle(self, settlements: Sequence[Settlement], *, now: datetime) -> None:
        """Record how many attempts ended, in one transaction."""
        if not settlements:
            return
        rows = [
            (s.status.value, now, s.detail if s.status is not EntryStatus.DELIVERED else None,
             s.retry_at, s.key, s.outcome.value, now, s.detail)
            for s in settlements
        ]  # fmt: skip
        self._db.run(
            lambda conn: conn.cursor().executemany(
                "WITH settled AS (UPDATE outbox SET status = %s, updated_at = %s,"
                " last_error = %s, due_at = COALESCE(%s::timestamptz, due_at) WHERE key = %s"
                " RETURNING key) INSERT INTO delivery_outcomes (key, status, at, detail)"
                " SELECT key, %s, %s, %s FROM settled",
                rows,
            )
        )

    def delivered(
        self, key: str, status: OutcomeStatus, *, now: datetime, detail: str = ""
    ) -> None:
        self.settle([Settlement(key, status, detail)], now=now)

    def failed(self, key: str, *, error: str, retry_at: datetime, now: datetime) -> None:
        self.settle([Settlement(key, OutcomeStatus.FAILED, error, retry_at)], now=now)

    def dead(self, key: str, *, error: str, now: datetime) -> None:
        self.settle([Settlement(key, OutcomeStatus.DEAD, error)], now=now)

    def next_due(self) -> datetime | None:
        row = self._db.run(
            lambda conn: conn.execute(
                "SELECT min(due_at) FROM outbox WHERE status = %s", (EntryStatus.PENDING.value,)
            ).fetchone()
        )
        return row[0].astimezone(UTC) if row and row[0] is not None else None

    def entries(
        self, *, status: EntryStatus | None = None, after: int = 0, limit: int = 100
    ) -> list[OutboxEntry]:
        where, args = "id > %s", [max(0, after)]
        if status is not None:
            where += " AND status = %s"
            args.append(status.value)
        sql = f"SELECT {_COLUMNS} FROM outbox WHERE {where} ORDER BY id LIMIT %s"
        rows = self._db.run(lambda conn: conn.execute(sql, (*args, max(0, limit))).fetchall())
        return [_entry(row) for row in rows]

    def get(self, key: str) -> OutboxEntry | None:
        row = self._db.run(
            lambda conn: conn.execute(
                f"SELECT {_COLUMNS} FROM outbox WHERE key = %s", (key,)
            ).fetchone()
        )
        return _entry(row) if row else None

    def outcomes(self, *, after: int = 0, limit: int = 1000) -> list[DeliveryOutcome]:
        """Outcomes by id. With several deliverers an id may commit after a higher one: a
        reader that pages by ``after`` and comes back later can miss it (the reports read
        from 0 each time)."""
        rows = self._db.run(
            lambda conn: conn.execute(
                "SELECT d.id, d.key, o.customer_id, o.channel, o.kind, o.trigger_id, o.offer_id,"
                " o.decision_id, d.status, d.at, d.detail FROM delivery_outcomes d"
                " JOIN outbox o ON o.key = d.key WHERE d.id > %s ORDER BY d.id LIMIT %s",
                (max(0, after), max(0, limit)),
            ).fetchall()
        )
        return [
            DeliveryOutcome(int(i), key, CustomerId(c), ch, kind, t, offer, d, OutcomeStatus(s),
                            at.astimezone(UTC), detail)
            for i, key, c, ch, kind, t, offer, d, s, at, detail in rows
        ]  # fmt: skip

    def counts(self) -> dict[EntryStatus, int]:
        rows = self._db.run(
            lambda conn: conn.execute(
                "SELECT status, count(*) FROM outbox GROUP BY status"
            ).fetchall()
        )
        found = {EntryStatus(s): int(n) for s, n in rows}
        return {status: found.get(status, 0) for status in EntryStatus}

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        if self._held:
            try:
                self._write_held()
            except PostgresUnavailable:
                logger.warning("outbox: %d activations not written, PostgreSQL is away",
                               len(self._held))  # fmt: skip
        self._db.close()


def _insert(conn: psycopg.Connection, activations: Sequence[Activation]) -> set[str]:
    """One ``INSERT`` of every activation, in order; the keys that were not held yet."""
    columns: list[list[Any]] = [[] for _ in range(9)]
    for a in activations:
        values = (a.key, a.customer_id, a.channel, a.kind, a.trigger_id, a.offer_id,
                  a.decision_id, orjson.dumps(dict(a.payload), default=str), a.at)  # fmt: skip
        for column, value in zip(columns, values, strict=True):
            column.append(value)
    rows = conn.execute(
        "INSERT INTO outbox (key, customer_id, channel, kind, trigger_id, offer_id, decision_id,"
        " payload, at, status, due_at, updated_at)"
        " SELECT k, c, ch, kind, t, offer, d, p, at, %s, at, at FROM unnest("
        "%s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[],"
        " %s::bytea[], %s::timestamptz[]) WITH ORDINALITY AS a (k, c, ch, kind, t, offer, d,"
        " p, at, n) ORDER BY n ON CONFLICT (key) DO NOTHING RETURNING key",
        (EntryStatus.PENDING.value, *columns),
    ).fetchall()
    return {key for (key,) in rows}


def _entry(row: tuple[Any, ...]) -> OutboxEntry:
    (id_, key, customer, channel, kind, trigger, offer, decision, payload, at, status,
     attempts, due_at, updated_at, error) = row  # fmt: skip
    activation = Activation(
        key, CustomerId(customer), channel, kind, trigger, offer, decision,
        orjson.loads(bytes(payload)), at.astimezone(UTC),
    )  # fmt: skip
    return OutboxEntry(
        int(id_), activation, EntryStatus(status), int(attempts), due_at.astimezone(UTC),
        updated_at.astimezone(UTC), error,
    )  # fmt: skip
