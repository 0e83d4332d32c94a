"""Processor snapshots in PostgreSQL (:class:`shopstream.log.StateStore`).

Several API processes may follow one log and save the same state; a save only moves a
state forward, so a slower process never replaces a newer snapshot with an older one.
"""

from __future__ import annotations

import asyncio

from shopstream.core import Offset
from shopstream.storage.postgres._connection import SharedConnection
from shopstream.storage.postgres._driver import connect

_UPSERT = (
    'INSERT INTO states (name, "offset", state) VALUES (%s, %s, %s)'
    ' ON CONFLICT (name) DO UPDATE SET "offset" = excluded."offset",'
    " state = excluded.state, saved_at = now()"
    ' WHERE states."offset" < excluded."offset"'
)


class PostgresStateStore:
    def __init__(self, url: str, schema: str = "shopstream") -> None:
        self._url = url
        self._schema = schema
        self._db = SharedConnection(url, schema)

    async def save(self, name: str, offset: Offset, state: bytes) -> None:
        await asyncio.to_thread(
            self._db.run, lambda conn: conn.execute(_UPSERT, (name, offset, state))
        )

    def save_from_child(self, name: str, offset: Offset, state: bytes) -> None:
        """:class:`shopstream.log.ChildSavable`: a connection of its own, closed after."""
        with connect(self._url, self._schema) as conn:
            conn.execute(_UPSERT, (name, offset, state))

    async def load(self, name: str) -> tuple[Offset, bytes] | None:
        row = await asyncio.to_thread(
            self._db.run,
            lambda conn: conn.execute(
                'SELECT "offset", state FROM states WHERE name = %s', (name,)
            ).fetchone(),
        )
        return (Offset(row[0]), bytes(row[1])) if row else None

    def close(self) -> None:
        self._db.close()
