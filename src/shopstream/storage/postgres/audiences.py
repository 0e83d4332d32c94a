"""Ad audience membership (:class:`shopstream.deliver.AudienceStore`) in PostgreSQL; a change
is committed when :meth:`PostgresAudiences.change` returns."""

from __future__ import annotations

from datetime import datetime

from shopstream.core import CustomerId
from shopstream.storage.postgres._connection import SharedConnection


class PostgresAudiences:
    def __init__(self, url: str, schema: str = "shopstream") -> None:
        self._db = SharedConnection(url, schema)

    def change(self, audience: str, customer_id: CustomerId, member: bool, at: datetime) -> bool:
        if member:
            sql = (
                "INSERT INTO audience_members (audience, customer_id, since) VALUES (%s, %s, %s)"
                " ON CONFLICT (audience, customer_id) DO NOTHING"
            )
            args: tuple[object, ...] = (audience, customer_id, at)
        else:
            sql = "DELETE FROM audience_members WHERE audience = %s AND customer_id = %s"
            args = (audience, customer_id)
        return self._db.run(lambda conn: conn.execute(sql, args).rowcount > 0)

    def members(self, audience: str) -> list[CustomerId]:
        rows = self._db.run(
            lambda conn: conn.execute(
                "SELECT customer_id FROM audience_members WHERE audience = %s"
                ' ORDER BY customer_id COLLATE "C"',
                (audience,),
            ).fetchall()
        )
        return [CustomerId(c) for (c,) in rows]

    def audiences(self) -> dict[str, int]:
        rows = self._db.run(
            lambda conn: conn.execute(
                "SELECT audience, count(*) FROM audience_members GROUP BY audience"
                ' ORDER BY audience COLLATE "C"'
            ).fetchall()
        )
        return {name: int(n) for name, n in rows}

    def close(self) -> None:
        self._db.close()
