"""Which events carry which identifier: the log's index by customer identifier.

Kept in its own file, off the append path: it follows the log in bulk (``catch_up``) and
always catches up before it answers, so an answer covers every event appended before it.
The offset it reached is written in the same transaction as its rows.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

import orjson

from shopstream.core import Offset
from shopstream.events import Identifier, Message, message_from_json
from shopstream.storage.sqlite.log import FsyncPolicy, connect, transaction

_SCHEMA = """
CREATE TABLE IF NOT EXISTS event_keys (
    key TEXT NOT NULL,
    offset INTEGER NOT NULL,
    PRIMARY KEY (key, offset)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS reached (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    offset INTEGER NOT NULL
);
"""
_SLICE = 20_000
_CACHE_KIB = 64 * 1024


def identity_key(identifier: Identifier) -> str:
    return f"{identifier.type}:{identifier.value}"


class SQLiteIdentityIndex:
    """Event offsets by identifier, for a customer's events and for unmerge."""

    def __init__(self, path: Path, log_path: Path, *, fsync: FsyncPolicy = "normal") -> None:
        self._conn = connect(path, fsync=fsync)
        # Keys land all over the index: with SQLite's default 2 MB of cache, most inserts
        # would read their page back from the file.
        self._conn.execute(f"PRAGMA cache_size=-{_CACHE_KIB}")
        self._conn.executescript(_SCHEMA)
        self._log = connect(log_path)
        self._lock = threading.Lock()

    def reached(self) -> Offset:
        row = self._conn.execute("SELECT offset FROM reached WHERE id = 1").fetchone()
        return Offset(row[0] if row else 0)

    def catch_up(self, limit: int | None = None) -> int:
        """Index the events appended since the last call (at most ``limit``); returns how many
        were indexed."""
        indexed = 0
        with self._lock:
            while limit is None or indexed < limit:
                after = self.reached()
                rows = self._log.execute(
                    "SELECT offset, payload FROM events WHERE offset > ? ORDER BY offset LIMIT ?",
                    (after, _SLICE if limit is None else min(_SLICE, limit - indexed)),
                ).fetchall()
                if not rows:
                    return indexed
                keys = [
                    (f"{kind}:{value}", offset)
                    for offset, payload in rows
                    for kind, value in orjson.loads(payload).get("identities", ())
                ]
                with transaction(self._conn):
                    self._conn.executemany(
                        "INSERT OR IGNORE INTO event_keys (key, offset) VALUES (?, ?)", keys
                    )
                    self._conn.execute(
                        "INSERT INTO reached (id, offset) VALUES (1, ?) "
                        "ON CONFLICT (id) DO UPDATE SET offset = excluded.offset",
                        (rows[-1][0],),
                    )
                indexed += len(rows)
        return indexed

    def offsets(
        self, identifiers: Iterable[Identifier], before: Offset | None = None
    ) -> list[Offset]:
        """Offsets of the events carrying any of ``identifiers``, ascending."""
        self.catch_up()
        keys = sorted({identity_key(i) for i in identifiers})
        if not keys:
            return []
        found: set[int] = set()
        with self._lock:
            for key in keys:
                found.update(
                    row[0]
                    for row in self._conn.execute(
                        "SELECT offset FROM event_keys WHERE key = ? AND offset < ?",
                        (key, before if before is not None else 2**62),
                    )
                )
        return [Offset(offset) for offset in sorted(found)]

    def history(
        self, identifiers: Iterable[Identifier], before: Offset | None = None
    ) -> list[tuple[Offset, Message]]:
        """The events carrying any of ``identifiers`` below ``before``, in log order."""
        return [
            (offset, message_from_json(payload))
            for offset, payload in self.payloads(self.offsets(identifiers, before))
        ]

    def payloads(self, offsets: list[Offset]) -> list[tuple[Offset, bytes]]:
        result: list[tuple[Offset, bytes]] = []
        with self._lock:
            for start in range(0, len(offsets), 500):
                chunk = offsets[start : start + 500]
                marks = ",".join("?" * len(chunk))
                result += self._log.execute(
                    f"SELECT offset, payload FROM events WHERE offset IN ({marks}) ORDER BY offset",
                    chunk,
                ).fetchall()
        return [(Offset(offset), payload) for offset, payload in result]

    def close(self) -> None:
        with self._lock:
            self._conn.close()
            self._log.close()
