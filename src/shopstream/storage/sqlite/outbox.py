"""The outbox (:class:`shopstream.deliver.Outbox`) as a SQLite table beside the state.

``put`` commits before it returns (with the state store's fsync policy), so an activation
a trigger wrote survives a crash. A claim is one ``UPDATE ... RETURNING`` transaction, so
two deliverers never lease the same entry.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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
from shopstream.storage.sqlite.log import FsyncPolicy, connect, transaction

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    customer_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    kind TEXT NOT NULL,
    trigger_id TEXT NOT NULL,
    offer_id TEXT,
    decision_id TEXT NOT NULL,
    payload BLOB NOT NULL,
    at TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    due_at REAL NOT NULL,
    updated_at TEXT NOT NULL,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, due_at);
CREATE TABLE IF NOT EXISTS delivery_outcomes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    status TEXT NOT NULL,
    at TEXT NOT NULL,
    detail TEXT NOT NULL
);
"""
_COLUMNS = (
    "id, key, customer_id, channel, kind, trigger_id, offer_id, decision_id, payload, at, "
    "status, attempts, due_at, updated_at, last_error"
)


class SQLiteOutbox:
    """:class:`~shopstream.deliver.Outbox` on one SQLite file (WAL)."""

    def __init__(self, path: Path, *, fsync: FsyncPolicy = "full") -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = connect(path, fsync=fsync)
        self._conn.executescript(_SCHEMA)
        self._lock = threading.Lock()
        self._watchers: list[Callable[[], None]] = []

    def put(self, activations: Sequence[Activation]) -> int:
        rows = [
            (a.key, a.customer_id, a.channel, a.kind, a.trigger_id, a.offer_id, a.decision_id,
             orjson.dumps(dict(a.payload), default=str), a.at.isoformat(), EntryStatus.PENDING,
             a.at.timestamp(), a.at.isoformat())
            for a in activations
        ]  # fmt: skip
        if not rows:
            return 0
        with self._lock:
            before = self._conn.total_changes
            with transaction(self._conn):
                self._conn.executemany(
                    "INSERT INTO outbox (key, customer_id, channel, kind, trigger_id, offer_id, "
                    "decision_id, payload, at, status, due_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
                    rows,
                )
            new = self._conn.total_changes - before
        if new:
            for callback in self._watchers:
                callback()
        return new

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
        where, args = "status = ? AND due_at <= ?", [EntryStatus.PENDING, now.timestamp()]
        if channels is not None:
            where += f" AND channel IN ({', '.join('?' * len(channels))})"
            args += list(channels)
        sql = (
            f"UPDATE outbox SET attempts = attempts + 1, due_at = ? WHERE id IN "
            f"(SELECT id FROM outbox WHERE {where} ORDER BY due_at, id LIMIT ?) "
            f"RETURNING {_COLUMNS}"
        )
        with self._lock:
            rows = self._conn.execute(sql, [(now + lease).timestamp(), *args, max(0, limit)])
            entries = [_entry(row) for row in rows.fetchall()]
        return sorted(entries, key=lambda e: e.id)

    def settle(self, settlements: Sequence[Settlement], *, now: datetime) -> None:
        if not settlements:
            return
        at = now.isoformat()
        updates = [
            (s.status, at, s.detail if s.status is not EntryStatus.DELIVERED else None,
             s.retry_at.timestamp() if s.retry_at else None, s.key)
            for s in settlements
        ]  # fmt: skip
        outcomes = [(s.key, s.outcome, at, s.detail) for s in settlements]
        with self._lock, transaction(self._conn):
            self._conn.executemany(
                "UPDATE outbox SET status = ?, updated_at = ?, last_error = ?, "
                "due_at = COALESCE(?, due_at) WHERE key = ?",
                updates,
            )
            self._conn.executemany(
                "INSERT INTO delivery_outcomes (key, status, at, detail) "
                "SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM outbox WHERE key = ?1)",
                outcomes,
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
        with self._lock:
            (due,) = self._conn.execute(
                "SELECT MIN(due_at) FROM outbox WHERE status = ?", (EntryStatus.PENDING,)
            ).fetchone()
        return datetime.fromtimestamp(due, UTC) if due is not None else None

    def entries(
        self, *, status: EntryStatus | None = None, after: int = 0, limit: int = 100
    ) -> list[OutboxEntry]:
        where, args = "id > ?", [max(0, after)]
        if status is not None:
            where += " AND status = ?"
            args.append(status)
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM outbox WHERE {where} ORDER BY id LIMIT ?",
                (*args, max(0, limit)),
            ).fetchall()
        return [_entry(row) for row in rows]

    def get(self, key: str) -> OutboxEntry | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_COLUMNS} FROM outbox WHERE key = ?", (key,)
            ).fetchone()
        return _entry(row) if row else None

    def outcomes(self, *, after: int = 0, limit: int = 1000) -> list[DeliveryOutcome]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT d.id, d.key, o.customer_id, o.channel, o.kind, o.trigger_id, o.offer_id, "
                "o.decision_id, d.status, d.at, d.detail FROM delivery_outcomes d "
                "JOIN outbox o ON o.key = d.key WHERE d.id > ? ORDER BY d.id LIMIT ?",
                (max(0, after), max(0, limit)),
            ).fetchall()
        return [
            DeliveryOutcome(i, key, CustomerId(c), ch, kind, t, offer, d, OutcomeStatus(s),
                            datetime.fromisoformat(at), detail)
            for i, key, c, ch, kind, t, offer, d, s, at, detail in rows
        ]  # fmt: skip

    def counts(self) -> dict[EntryStatus, int]:
        with self._lock:
            rows = self._conn.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status")
            found = {EntryStatus(s): int(n) for s, n in rows.fetchall()}
        return {status: found.get(status, 0) for status in EntryStatus}

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _entry(row: sqlite3.Row | tuple[Any, ...]) -> OutboxEntry:
    (id_, key, customer, channel, kind, trigger, offer, decision, payload, at, status,
     attempts, due_at, updated_at, error) = row  # fmt: skip
    activation = Activation(
        key, CustomerId(customer), channel, kind, trigger, offer, decision,
        orjson.loads(payload), datetime.fromisoformat(at),
    )  # fmt: skip
    return OutboxEntry(
        int(id_), activation, EntryStatus(status), int(attempts),
        datetime.fromtimestamp(due_at, UTC), datetime.fromisoformat(updated_at), error,
    )  # fmt: skip


__all__ = ("SQLiteOutbox",)
