"""The audit log (:class:`shopstream.profiles.AuditLog`) as an append-only SQLite table.

Triggers refuse every ``UPDATE`` and ``DELETE``, so an entry, once written, stays as it was.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from datetime import datetime
from pathlib import Path

from shopstream.core import CustomerId, StoreId
from shopstream.profiles import AuditEntry
from shopstream.storage.sqlite.log import FsyncPolicy, connect

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    store_id TEXT,
    customer_id TEXT NOT NULL,
    action TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_customer ON audit (customer_id, id);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""
_COLUMNS = "id, at, actor, role, store_id, customer_id, action"


class SQLiteAuditLog:
    """:class:`~shopstream.profiles.AuditLog` on one SQLite file; a write is durable when
    :meth:`record` returns."""

    def __init__(self, path: Path, *, fsync: FsyncPolicy = "full") -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = connect(path, fsync=fsync)
        self._conn.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def _record(self, entry: AuditEntry) -> AuditEntry:
        with self._lock:
            cursor = self._conn.execute(
                "INSERT INTO audit (at, actor, role, store_id, customer_id, action) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    entry.at.isoformat(),
                    entry.actor,
                    entry.role,
                    entry.store_id,
                    entry.customer_id,
                    entry.action,
                ),
            )
            entry_id = cursor.lastrowid
        return AuditEntry(
            entry.at,
            entry.actor,
            entry.role,
            entry.customer_id,
            entry.action,
            entry.store_id,
            int(entry_id or 0),
        )

    def _read(
        self,
        after: int,
        limit: int,
        customer_id: CustomerId | None,
        actor: str | None,
        store_id: StoreId | None,
    ) -> list[AuditEntry]:
        where, args = ["id > ?"], [max(0, after)]
        for column, value in (
            ("customer_id", customer_id),
            ("actor", actor),
            ("store_id", store_id),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)  # type: ignore[arg-type]
        sql = f"SELECT {_COLUMNS} FROM audit WHERE {' AND '.join(where)} ORDER BY id LIMIT ?"
        with self._lock:
            rows = self._conn.execute(sql, (*args, max(0, limit))).fetchall()
        return [_entry(row) for row in rows]

    async def record(self, entry: AuditEntry) -> AuditEntry:
        return await asyncio.to_thread(self._record, entry)

    async def read(
        self,
        after: int = 0,
        limit: int = 100,
        *,
        customer_id: CustomerId | None = None,
        actor: str | None = None,
        store_id: StoreId | None = None,
    ) -> list[AuditEntry]:
        return await asyncio.to_thread(self._read, after, limit, customer_id, actor, store_id)

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _entry(row: sqlite3.Row | tuple[object, ...]) -> AuditEntry:
    entry_id, at, actor, role, store_id, customer_id, action = row
    return AuditEntry(
        at=datetime.fromisoformat(str(at)),
        actor=str(actor),
        role=str(role),
        customer_id=CustomerId(str(customer_id)),
        action=str(action),
        store_id=StoreId(str(store_id)) if store_id is not None else None,
        id=int(entry_id),  # type: ignore[call-overload]
    )


__all__ = ("SQLiteAuditLog",)
