"""Processor state saved in SQLite, each state in one row with the offset it reflects."""

from __future__ import annotations

import asyncio
import sqlite3
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
        self._path = path
        self._fsync: FsyncPolicy = fsync
        self._conn = connect(path, fsync=fsync)
        self._conn.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def _save(self, name: str, offset: Offset, state: bytes) -> None:
        with self._lock:
            _upsert(self._conn, name, offset, state)

    def save_from_child(self, name: str, offset: Offset, state: bytes) -> None:
        """:class:`shopstream.log.ChildSavable`: a connection of its own, closed after."""
        conn = connect(self._path, fsync=self._fsync)
        try:
            _upsert(conn, name, offset, state)
        finally:
            conn.close()

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


def _upsert(conn: sqlite3.Connection, name: str, offset: Offset, state: bytes) -> None:
    conn.execute(
        "INSERT INTO states (name, offset, state) VALUES (?, ?, ?) "
        "ON CONFLICT (name) DO UPDATE SET offset = excluded.offset, state = excluded.state",
        (name, offset, state),
    )


__all__ = ("SQLiteStateStore",)
