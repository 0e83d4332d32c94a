"""The embedded event log: an append-only SQLite table in WAL mode with group commit.

One writer thread owns the write connection. Appends from many requests queue up; the writer
takes everything waiting, inserts it in one transaction and commits once, so concurrent
requests share a commit (and its fsync). A request's future resolves only after that commit.

Fsync policy (``fsync``):
- ``"full"`` (default): ``synchronous=FULL``; every commit fsyncs the WAL, so an acknowledged
  event survives a power loss.
- ``"normal"``: ``synchronous=NORMAL``; commits survive a crash of the process (the data is in
  the OS page cache) but the last commits may be lost on power loss.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import queue
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from datetime import datetime
from itertools import chain
from pathlib import Path
from typing import Literal

from shopstream.core import Offset
from shopstream.events import Message, message_to_json
from shopstream.log import DeadLetter, LogRecord, LogUnavailable

logger = logging.getLogger(__name__)

FsyncPolicy = Literal["full", "normal"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    offset INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    message_id TEXT NOT NULL,
    payload BLOB NOT NULL,
    UNIQUE (source, message_id)
);
CREATE TABLE IF NOT EXISTS checkpoints (
    consumer TEXT PRIMARY KEY,
    offset INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    received_at TEXT NOT NULL,
    field TEXT NOT NULL,
    reason TEXT NOT NULL,
    payload BLOB NOT NULL
);
"""

_Row = tuple[str, str, bytes]
_Job = tuple[str, object, Future[object]]
# Rows per INSERT statement: 3 parameters each stays under every SQLite's limit of 999.
_INSERT_ROWS = 300


@functools.lru_cache(maxsize=_INSERT_ROWS)
def _insert_sql(rows: int) -> str:
    values = ", ".join(["(?, ?, ?)"] * rows)
    return (
        f"INSERT INTO events (source, message_id, payload) VALUES {values} "
        "ON CONFLICT (source, message_id) DO NOTHING"
    )


def connect(path: Path, *, fsync: FsyncPolicy = "full") -> sqlite3.Connection:
    """A connection with the pragmas every connection to a Shopstream database uses."""
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={'FULL' if fsync == 'full' else 'NORMAL'}")
    conn.execute("PRAGMA busy_timeout=5000")
    return conn


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction on a :func:`connect` connection, committed or rolled back whole.

    Those connections are in autocommit mode (``isolation_level=None``), where ``with conn``
    does not begin a transaction: an ``executemany`` there commits every row on its own.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class SQLiteEventLog:
    """:class:`shopstream.log.EventLog` on one SQLite file."""

    def __init__(self, path: Path, *, fsync: FsyncPolicy = "full", max_batch: int = 5000) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = connect(path, fsync=fsync)
        self._writer.executescript(_SCHEMA)
        self._max_batch = max_batch
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._local = threading.local()
        self._last = Offset(
            self._writer.execute("SELECT COALESCE(MAX(offset), 0) FROM events").fetchone()[0]
        )
        self._appended = asyncio.Condition()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self._thread = threading.Thread(
            target=self._write_loop, name="sqlite-log-writer", daemon=True
        )
        self._thread.start()

    # -- writes -----------------------------------------------------------------------------

    async def append(
        self, messages: Sequence[Message], *, payloads: Sequence[bytes] | None = None
    ) -> list[Offset]:
        logged = payloads if payloads is not None else [message_to_json(m) for m in messages]
        rows = [
            (m.source or "", m.message_id or "", payload)
            for m, payload in zip(messages, logged, strict=True)
        ]
        offsets: list[Offset] = await self._submit("append", rows)  # type: ignore[assignment]
        await self.notice(max(offsets, default=0))
        return offsets

    async def dead_letter(self, letters: Sequence[DeadLetter]) -> None:
        await self._submit("dead_letter", list(letters))

    async def checkpoint(self, consumer: str, offset: Offset) -> None:
        await self._submit("checkpoint", (consumer, offset))

    async def _submit(self, kind: str, payload: object) -> object:
        if self._closed:
            msg = "the event log is closed"
            raise LogUnavailable(msg)
        self._loop = asyncio.get_running_loop()
        future: Future[object] = Future()
        self._jobs.put((kind, payload, future))
        try:
            return await asyncio.wrap_future(future)
        except sqlite3.Error as exc:
            msg = f"the event log could not commit: {exc}"
            raise LogUnavailable(msg) from exc

    def _write_loop(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            jobs = [job]
            rows = len(job[1]) if isinstance(job[1], list) else 1
            while rows < self._max_batch:
                try:
                    nxt = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._jobs.put(None)
                    break
                jobs.append(nxt)
                rows += len(nxt[1]) if isinstance(nxt[1], list) else 1
            self._commit(jobs)

    def _commit(self, jobs: list[_Job]) -> None:
        results: list[object] = []
        try:
            self._writer.execute("BEGIN IMMEDIATE")
            for kind, payload, _ in jobs:
                results.append(getattr(self, f"_do_{kind}")(payload))
            self._writer.execute("COMMIT")
        except Exception as exc:
            # Not only sqlite3.Error: any error (an offset too big to bind, a string SQLite
            # cannot encode) must fail these jobs, not kill the thread and hang every later one.
            with contextlib.suppress(sqlite3.Error):
                self._writer.execute("ROLLBACK")
            logger.exception("event log commit failed")
            for _, _, future in jobs:
                future.set_exception(exc)
            return
        for (_, _, future), result in zip(jobs, results, strict=True):
            future.set_result(result)

    def _do_append(self, rows: list[_Row]) -> list[Offset]:
        offsets: list[Offset] = []
        for start in range(0, len(rows), _INSERT_ROWS):
            offsets += self._insert(rows[start : start + _INSERT_ROWS])
        return offsets

    def _insert(self, rows: list[_Row]) -> list[Offset]:
        """Insert ``rows`` with one statement; the offset of each, new or first given.

        One multi-row INSERT is one step of SQLite's VM, so the GIL is released once for all
        rows rather than once a row. When every row is new, their offsets are consecutive and
        end at the last rowid (AUTOINCREMENT, and this thread is the only writer); otherwise
        each row's offset is looked up, which also gives a repeat the offset first given.
        """
        before = self._writer.total_changes
        cursor = self._writer.execute(_insert_sql(len(rows)), list(chain.from_iterable(rows)))
        if self._writer.total_changes - before == len(rows) and cursor.lastrowid is not None:
            last = cursor.lastrowid
            return [Offset(offset) for offset in range(last - len(rows) + 1, last + 1)]
        find = "SELECT offset FROM events WHERE source = ? AND message_id = ?"
        return [
            Offset(self._writer.execute(find, (source, message_id)).fetchone()[0])
            for source, message_id, _ in rows
        ]

    def _do_dead_letter(self, letters: list[DeadLetter]) -> None:
        self._writer.executemany(
            "INSERT INTO dead_letters (source, received_at, field, reason, payload) "
            "VALUES (?, ?, ?, ?, ?)",
            [(d.source, d.received_at.isoformat(), d.field, d.reason, d.payload) for d in letters],
        )

    def _do_checkpoint(self, entry: tuple[str, Offset]) -> None:
        self._writer.execute(
            "INSERT INTO checkpoints (consumer, offset) VALUES (?, ?) "
            "ON CONFLICT (consumer) DO UPDATE SET offset = MAX(offset, excluded.offset)",
            entry,
        )

    async def notice(self, offset: int) -> None:
        """Wake readers waiting for ``offset``: appended here, or by a collector process."""
        if offset > self._last:
            self._last = Offset(offset)
        async with self._appended:
            self._appended.notify_all()

    # -- reads ------------------------------------------------------------------------------

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path)
            self._local.conn = conn
        return conn

    def read_sync(self, after: Offset, limit: int) -> list[LogRecord]:
        """The synchronous read, for processors running in their own thread."""
        rows = (
            self._reader()
            .execute(
                "SELECT offset, payload FROM events WHERE offset > ? ORDER BY offset LIMIT ?",
                (after, limit),
            )
            .fetchall()
        )
        return [LogRecord(Offset(offset), payload) for offset, payload in rows]

    async def read(self, after: Offset, limit: int) -> list[LogRecord]:
        return await asyncio.to_thread(self.read_sync, after, limit)

    async def last_offset(self) -> Offset:
        return self._last

    async def wait_for(self, after: Offset, timeout: float) -> bool:
        if self._last > after:
            return True
        async with self._appended:
            try:
                await asyncio.wait_for(self._appended.wait_for(lambda: self._last > after), timeout)
            except TimeoutError:
                return False
        return True

    async def committed(self, consumer: str) -> Offset:
        row = await asyncio.to_thread(
            lambda: (
                self._reader()
                .execute("SELECT offset FROM checkpoints WHERE consumer = ?", (consumer,))
                .fetchone()
            )
        )
        return Offset(row[0] if row else 0)

    async def dead_letters(self, after: int, limit: int) -> list[DeadLetter]:
        rows = await asyncio.to_thread(
            lambda: (
                self._reader()
                .execute(
                    "SELECT id, source, received_at, field, reason, payload FROM dead_letters "
                    "WHERE id > ? ORDER BY id LIMIT ?",
                    (after, limit),
                )
                .fetchall()
            )
        )
        return [
            DeadLetter(source, datetime.fromisoformat(at), field, reason, payload, id=row_id)
            for row_id, source, at, field, reason, payload in rows
        ]

    async def ping(self) -> None:
        if self._closed or not self._thread.is_alive():
            msg = "the event log writer is not running"
            raise LogUnavailable(msg)

    async def close(self) -> None:
        if not self._closed:
            self._jobs.put(None)
            self._closed = True
            await asyncio.to_thread(self._thread.join)
            self._writer.close()

    def close_now(self) -> None:
        """Close from code with no event loop (an engine whose construction failed)."""
        if not self._closed:
            self._jobs.put(None)
            self._closed = True
            self._thread.join()
            self._writer.close()
