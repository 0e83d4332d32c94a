"""Profiles in PostgreSQL (:class:`shopstream.profiles.ProfileStore`): one JSON row each.

A write only replaces a row with a profile that has applied a later offset, so two writers
racing never move a profile back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import orjson

from shopstream.core import CustomerId
from shopstream.profiles import Profile
from shopstream.profiles.snapshot import profile_from_dict, profile_to_dict
from shopstream.storage.postgres._connection import SharedConnection


class PostgresProfileStore:
    def __init__(self, url: str, schema: str = "shopstream") -> None:
        self._db = SharedConnection(url, schema)

    async def get(self, customer_id: CustomerId) -> Profile | None:
        row = await asyncio.to_thread(
            self._db.run,
            lambda conn: conn.execute(
                "SELECT data FROM profiles WHERE customer_id = %s", (customer_id,)
            ).fetchone(),
        )
        return None if row is None else profile_from_dict(customer_id, row[0])

    async def put(self, profiles: Iterable[Profile]) -> None:
        rows = [
            (p.customer_id, p.last_offset, orjson.dumps(profile_to_dict(p)).decode())
            for p in profiles
        ]
        if not rows:
            return
        await asyncio.to_thread(
            self._db.run,
            lambda conn: conn.cursor().executemany(
                "INSERT INTO profiles (customer_id, last_offset, data) VALUES (%s, %s, %s)"
                " ON CONFLICT (customer_id) DO UPDATE SET last_offset = excluded.last_offset,"
                " data = excluded.data, updated_at = now()"
                " WHERE profiles.last_offset <= excluded.last_offset",
                rows,
            ),
        )

    async def delete(self, customer_id: CustomerId) -> bool:
        deleted = await asyncio.to_thread(
            self._db.run,
            lambda conn: (
                conn.execute("DELETE FROM profiles WHERE customer_id = %s", (customer_id,)).rowcount
            ),
        )
        return bool(deleted)

    def close(self) -> None:
        self._db.close()
