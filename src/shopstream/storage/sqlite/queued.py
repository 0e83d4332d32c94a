"""Rows queued on the request path and inserted by a background thread, in batches.

Exposures and outcomes are recorded on every answer and every event: a write each would put
a commit on the request path. ``put`` only queues; a thread inserts what is queued every
``flush_seconds`` in one transaction. What is queued is a record of what happened, not an
acknowledged event: a crash may lose the last fraction of a second of it.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from shopstream.storage.sqlite.log import transaction

T = TypeVar("T")


class QueuedInserts(Generic[T]):
    """``insert`` (an ``INSERT ... VALUES (?, ...)``) of ``to_row(item)`` for each item put.

    ``lock`` guards ``conn``: the owner takes it too when it reads.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        lock: threading.Lock,
        insert: str,
        to_row: Callable[[T], tuple[Any, ...]],
        *,
        name: str,
        flush_seconds: float = 0.2,
    ) -> None:
        self._conn, self._lock, self._insert, self._to_row = conn, lock, insert, to_row
        self._queue: queue.SimpleQueue[T] = queue.SimpleQueue()
        self._flush_seconds = flush_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def put(self, item: T) -> None:
        self._queue.put(item)

    def _run(self) -> None:
        while not self._stop.wait(self._flush_seconds):
            self.flush()

    def flush(self) -> None:
        """Insert everything queued so far."""
        rows = []
        while True:
            try:
                rows.append(self._to_row(self._queue.get_nowait()))
            except queue.Empty:
                break
        if rows:
            with self._lock, transaction(self._conn):
                self._conn.executemany(self._insert, rows)

    def stop(self) -> None:
        """Stop the thread and insert what is left."""
        self._stop.set()
        self._thread.join()
        self.flush()
