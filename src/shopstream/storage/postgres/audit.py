"""The audit log (:class:`shopstream.profiles.AuditLog`) in PostgreSQL, append-only (a trigger
refuses every update and delete); an entry is committed when :meth:`record` returns."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from shopstream.core import CustomerId, StoreId
from shopstream.profiles import AuditEntry
from shopstream.storage.postgres._connection import SharedConnection

_COLUMNS = "id, at, actor, role, store_id, customer_id, action"


class PostgresAuditLog:
    def __init__(self, url: str, schema: str = "shopstream") -> None:
        self._db = SharedConnection(url, schema)

    async def record(self, entry: AuditEntry) -> AuditEntry:
        row = await asyncio.to_thread(
            self._db.run,
            lambda conn: conn.execute(
                "INSERT INTO audit (at, actor, role, store_id, customer_id, action)"
                " VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
                (entry.at, entry.actor, entry.role, entry.store_id, entry.customer_id,
                 entry.action),
            ).fetchone(),
        )  # fmt: skip
        return replace(entry, id=int(row[0]) if row else 0)

    async def read(
        self,
        after: int = 0,
        limit: int = 100,
        *,
        customer_id: CustomerId | None = None,
        actor: str | None = None,
        store_id: StoreId | None = None,
    ) -> list[AuditEntry]:
        where, args = ["id > %s"], [max(0, after)]
        for column, value in (
            ("customer_id", customer_id),
            ("actor", actor),
            ("store_id", store_id),
        ):
            if value is not None:
                where.append(f"{column} = %s")
                args.append(value)  # type: ignore[arg-type]
        sql = f"SELECT {_COLUMNS} FROM audit WHERE {' AND '.join(where)} ORDER BY id LIMIT %s"
        rows = await asyncio.to_thread(
            self._db.run, lambda conn: conn.execute(sql, (*args, max(0, limit))).fetchall()
        )
        return [
            AuditEntry(at, actor, role, CustomerId(customer), action,
                       StoreId(store) if store is not None else None, int(entry_id))
            for entry_id, at, actor, role, store, customer, action in rows
        ]  # fmt: skip

    def close(self) -> None:
        self._db.close()
