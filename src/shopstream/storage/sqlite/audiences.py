"""Ad audience membership (:class:`shopstream.deliver.AudienceStore`) in SQLite."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

from shopstream.core import CustomerId
from shopstream.storage.sqlite.log import FsyncPolicy, connect

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audience_members (
    audience TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    since TEXT NOT NULL,
    PRIMARY KEY (audience, customer_id)
);
"""


class SQLiteAudiences:
    """:class:`~shopstream.deliver.AudienceStore`; a change commits before it returns."""

    def __init__(self, path: Path, *, fsync: FsyncPolicy = "full") -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = connect(path, fsync=fsync)
        self._conn.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def change(self, audience: str, customer_id: CustomerId, member: bool, at: datetime) -> bool:
        with self._lock:
            if member:
                sql = (
                    "INSERT INTO audience_members VALUES (?, ?, ?) "
                    "ON CONFLICT (audience, customer_id) DO NOTHING"
                )
                return self._conn.execute(sql, (audience, customer_id, at.isoformat())).rowcount > 0
            sql = "DELETE FROM audience_members WHERE audience = ? AND customer_id = ?"
            return self._conn.execute(sql, (audience, customer_id)).rowcount > 0

    def members(self, audience: str) -> list[CustomerId]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT customer_id FROM audience_members WHERE audience = ? ORDER BY customer_id",
                (audience,),
            ).fetchall()
        return [CustomerId(c) for (c,) in rows]

    def audiences(self) -> dict[str, int]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT audience, COUNT(*) FROM audience_members GROUP BY audience ORDER BY audience"
            ).fetchall()
        return {name: int(n) for name, n in rows}

    def close(self) -> None:
        with self._lock:
            self._conn.close()


__all__ = ("SQLiteAudiences",)
