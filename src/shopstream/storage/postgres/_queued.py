"""Items queued by the caller and written to PostgreSQL by a background thread, in batches.

Exposures, measured events and decisions are recorded on every answer and every event, so
``put`` only queues and a thread writes what is queued every ``flush_seconds`` in one
transaction. While PostgreSQL is away the items are held and written when it is back (a crash
meanwhile loses them: they are records of what happened, not acknowledged events). A batch
PostgreSQL refuses for another reason is written around the rows it refuses
(:mod:`shopstream.storage.batches`): each of those is dropped, logged and counted, and the
writer goes on.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Generic, TypeVar

from shopstream.core import DroppedWrites
from shopstream.storage.batches import write_around_refused
from shopstream.storage.postgres._connection import PostgresUnavailable, SharedConnection

if TYPE_CHECKING:
    import psycopg

logger = logging.getLogger(__name__)

T = TypeVar("T")


class QueuedWrites(Generic[T]):
    """``write(conn, items)`` in one transaction for what was put, every ``flush_seconds``.

    ``write`` returns how many rows it added; ``flush`` returns the sum. ``store`` names the
    rows in logs, in the writer thread's name and in ``dropped``.
    """

    def __init__(
        self,
        db: SharedConnection,
        write: Callable[[psycopg.Connection, list[T]], int],
        *,
        store: str,
        dropped: DroppedWrites | None = None,
        flush_seconds: float = 0.2,
    ) -> None:
        self._db, self._write, self._store = db, write, store
        self._dropped = dropped if dropped is not None else DroppedWrites()
        self._dropped.add(store, 0)  # shown from the start, at 0
        self._queue: queue.SimpleQueue[T] = queue.SimpleQueue()
        self._held: list[T] = []
        self._flush_lock = threading.Lock()
        self._flush_seconds = flush_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"{store}-writer", daemon=True)
        self._thread.start()

    def put(self, items: Iterable[T]) -> None:
        for item in items:
            self._queue.put(item)

    def _run(self) -> None:
        while not self._stop.wait(self._flush_seconds):
            try:
                self.flush()
            except PostgresUnavailable:
                logger.warning("%s: %d held until PostgreSQL is back", self._store, len(self._held))

    def flush(self) -> int:
        """Write everything put so far, but the rows PostgreSQL refuses (dropped and counted);
        raises :class:`PostgresUnavailable`, keeping what is not written yet."""
        with self._flush_lock:
            while True:
                try:
                    self._held.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            return write_around_refused(
                self._held,
                lambda items: self._db.run(lambda conn: self._write(conn, items)),
                self._refused,
                away=(PostgresUnavailable,),
            )

    def _refused(self, item: T, error: Exception) -> None:
        logger.error(
            "%s: dropped a row PostgreSQL refuses (%s: %s): %.300r",
            self._store, type(error).__name__, error, item,
        )  # fmt: skip
        self._dropped.add(self._store)

    def stop(self) -> None:
        """Stop the thread and write what is left (logged, not raised, if PostgreSQL is away)."""
        self._stop.set()
        self._thread.join()
        try:
            self.flush()
        except PostgresUnavailable:
            logger.warning("%s: %d not written, PostgreSQL is away", self._store, len(self._held))


class QueuedStore(Generic[T]):
    """A store whose records are queued on the caller's path and written by :class:`QueuedWrites`
    (exposures, decisions, measured events): ``record``, ``flush`` and ``close``; subclasses
    name the store and write a batch (``_insert``) and read as they need through ``_db``."""

    store: str  # in the writer's logs and the dropped-writes metric

    def __init__(
        self,
        url: str,
        schema: str = "shopstream",
        *,
        flush_seconds: float = 0.2,
        dropped: DroppedWrites | None = None,
    ) -> None:
        self._db = SharedConnection(url, schema)
        self._writes: QueuedWrites[T] = QueuedWrites(
            self._db, self._insert, store=self.store, dropped=dropped, flush_seconds=flush_seconds
        )

    def _insert(self, conn: psycopg.Connection, items: list[T]) -> int:
        """Write ``items`` in ``conn``'s transaction; how many rows were added."""
        raise NotImplementedError

    def record(self, item: T) -> None:
        self._writes.put((item,))

    def flush(self) -> None:
        self._writes.flush()

    def close(self) -> None:
        self._writes.stop()
        self._db.close()
