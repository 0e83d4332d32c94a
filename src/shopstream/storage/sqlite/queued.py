"""Rows queued on the request path and inserted by a background thread, in batches.

Exposures, measured events and decisions are recorded on every answer and every event: a
write each would put a commit on the request path. ``put`` only queues; a thread inserts what
is queued every ``flush_seconds`` in one transaction. What is queued is a record of what
happened, not an acknowledged event: a crash may lose the last fraction of a second of it.

A batch SQLite refuses for a reason of its rows (an integer beyond 64 bits, a value of a type
it cannot bind, a broken constraint) is written around the rows it refuses
(:mod:`shopstream.storage.batches`): each of those is dropped, logged and counted, and the
writer goes on. An :class:`sqlite3.OperationalError` (the file locked, the disk full or
failing) is not the rows' fault: they are held and tried again at the next flush.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from shopstream.core import DroppedWrites
from shopstream.storage.batches import write_around_refused
from shopstream.storage.sqlite.log import transaction

logger = logging.getLogger(__name__)

T = TypeVar("T")


class QueuedInserts(Generic[T]):
    """``insert`` (an ``INSERT ... VALUES (?, ...)``) of ``to_row(item)`` for each item put.

    ``lock`` guards ``conn``: the owner takes it too when it reads. ``store`` names the rows
    in logs, in the writer thread's name and in ``dropped``.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        lock: threading.Lock,
        insert: str,
        to_row: Callable[[T], tuple[Any, ...]],
        *,
        store: str,
        dropped: DroppedWrites | None = None,
        flush_seconds: float = 0.2,
    ) -> None:
        self._conn, self._lock, self._insert, self._to_row = conn, lock, insert, to_row
        self._store = store
        self._dropped = dropped if dropped is not None else DroppedWrites()
        self._dropped.add(store, 0)  # shown from the start, at 0
        self._queue: queue.SimpleQueue[T] = queue.SimpleQueue()
        self._held: list[T] = []
        self._flush_lock = threading.Lock()
        self._flush_seconds = flush_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"{store}-writer", daemon=True)
        self._thread.start()

    def put(self, item: T) -> None:
        self._queue.put(item)

    def _run(self) -> None:
        while not self._stop.wait(self._flush_seconds):
            try:
                self.flush()
            except sqlite3.OperationalError as exc:
                logger.warning("%s: %d held, SQLite cannot write now: %s",
                               self._store, len(self._held), exc)  # fmt: skip

    def flush(self) -> None:
        """Insert everything queued so far, but the rows SQLite refuses (dropped and counted);
        raises :class:`sqlite3.OperationalError`, keeping what is not written yet."""
        with self._flush_lock:
            while True:
                try:
                    self._held.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            write_around_refused(
                self._held, self._insert_all, self._refused, away=(sqlite3.OperationalError,)
            )

    def _insert_all(self, items: list[T]) -> int:
        rows = [self._to_row(item) for item in items]
        with self._lock, transaction(self._conn):
            self._conn.executemany(self._insert, rows)
        return len(rows)

    def _refused(self, item: T, error: Exception) -> None:
        logger.error(
            "%s: dropped a row SQLite refuses (%s: %s): %.300r",
            self._store, type(error).__name__, error, item,
        )  # fmt: skip
        self._dropped.add(self._store)

    def stop(self) -> None:
        """Stop the thread and insert what is left (logged, not raised, if SQLite cannot)."""
        self._stop.set()
        self._thread.join()
        try:
            self.flush()
        except sqlite3.OperationalError as exc:
            logger.warning("%s: %d not written: %s", self._store, len(self._held), exc)
