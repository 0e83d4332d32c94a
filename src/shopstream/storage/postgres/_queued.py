"""Items queued by the caller and written to PostgreSQL by a background thread, in batches.

Exposures and outcomes are recorded on every answer and every event, so ``put`` only
queues and a thread writes what is queued every ``flush_seconds`` in one transaction. While
PostgreSQL is away the items are held and written when it is back (a crash meanwhile loses
them: they are records of what happened, not acknowledged events).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Generic, TypeVar

from shopstream.storage.postgres._connection import PostgresUnavailable, SharedConnection

if TYPE_CHECKING:
    import psycopg

logger = logging.getLogger(__name__)

T = TypeVar("T")


class QueuedWrites(Generic[T]):
    """``write(conn, items)`` in one transaction for what was put, every ``flush_seconds``.

    ``write`` returns how many rows it added; ``flush`` returns the sum.
    """

    def __init__(
        self,
        db: SharedConnection,
        write: Callable[[psycopg.Connection, list[T]], int],
        *,
        name: str,
        flush_seconds: float = 0.2,
    ) -> None:
        self._db, self._write, self._name = db, write, name
        self._queue: queue.SimpleQueue[T] = queue.SimpleQueue()
        self._held: list[T] = []
        self._flush_lock = threading.Lock()
        self._flush_seconds = flush_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def put(self, items: Iterable[T]) -> None:
        for item in items:
            self._queue.put(item)

    def _run(self) -> None:
        while not self._stop.wait(self._flush_seconds):
            try:
                self.flush()
            except PostgresUnavailable:
                logger.warning("%s: %d held until PostgreSQL is back", self._name, len(self._held))

    def flush(self) -> int:
        """Write everything put so far (raises :class:`PostgresUnavailable`, keeping it)."""
        with self._flush_lock:
            while True:
                try:
                    self._held.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if not self._held:
                return 0
            held = self._held
            added = self._db.run(lambda conn: self._write(conn, held))
            self._held = []
            return added

    def stop(self) -> None:
        """Stop the thread and write what is left (logged, not raised, if PostgreSQL is away)."""
        self._stop.set()
        self._thread.join()
        try:
            self.flush()
        except PostgresUnavailable:
            logger.warning("%s: %d not written, PostgreSQL is away", self._name, len(self._held))
