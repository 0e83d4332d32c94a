"""Processor state saved in SQLite, each state in one row with the offset it reflects."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from shopstream.core import Offset
from shopstream.storage.sqlite.log import FsyncPolicy, connect

_SCHEMA = """
CREATE TABLE IF NOT EXISTS states (
    name TEXT PRIMARY KEY,
    offset INTEGER NOT NULL,
    state BLOB NOT NULL
);
"""


class SQLiteStateStore:
    """:class:`shopstream.log.StateStore` on one SQLite file.

    A save replaces the row in one transaction, so a crash leaves either the old state and
    offset or the new ones, never a mix.
    """

    def __init__(self, path: Path, *, fsync: FsyncPolicy = "full") -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = connect(path, fsync=fsync)
        self._conn.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def _save(self, name: str, offset: Offset, state: bytes) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO states (name, offset, state) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET offset = excluded.offset, state = excluded.state",
                (name, offset, state),
            )

    def _load(self, name: str) -> tuple[Offset, bytes] | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT offset, state FROM states WHERE name = ?", (name,)
            ).fetchone()
        return (Offset(row[0]), bytes(row[1])) if row else None

    async def save(self, name: str, offset: Offset, state: bytes) -> None:
        await asyncio.to_thread(self._save, name, offset, state)

    async def load(self, name: str) -> tuple[Offset, bytes] | None:
        return await asyncio.to_thread(self._load, name)

    def close(self) -> None:
        with self._lock:
            self._conn.close()


__all__ = ("SQLiteStateStore",)
