"""One PostgreSQL connection shared by a store's threads, reconnected after a failure."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from shopstream.log import LogUnavailable
from shopstream.storage.postgres._driver import connect, require_psycopg

if TYPE_CHECKING:
    import psycopg

T = TypeVar("T")


class PostgresUnavailable(LogUnavailable):
    """PostgreSQL cannot be reached now; nothing was written, retry later."""

    code = "postgres.unavailable"


class SharedConnection:
    """A lazily opened connection; each :meth:`run` is one transaction under a lock.

    A connection error closes the connection and raises :class:`PostgresUnavailable`; the
    next :meth:`run` connects again, so a store survives PostgreSQL going away and coming back.
    """

    def __init__(self, url: str, schema: str) -> None:
        self._url = url
        self._schema = schema
        self._lock = threading.Lock()
        self._conn: psycopg.Connection | None = None
        self._errors: tuple[type[Exception], ...] = (
            require_psycopg().OperationalError,
            require_psycopg().InterfaceError,
        )

    def run(self, work: Callable[[psycopg.Connection], T]) -> T:
        """``work(conn)`` in one transaction, committed when it returns."""
        with self._lock:
            try:
                if self._conn is None or self._conn.closed:
                    self._conn = connect(self._url, self._schema)
                with self._conn.transaction():
                    return work(self._conn)
            except self._errors as exc:
                self._drop()
                msg = f"PostgreSQL is unavailable: {exc}"
                raise PostgresUnavailable(msg) from exc

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(self._errors):
                self._conn.close()
            self._conn = None

    def close(self) -> None:
        with self._lock:
            self._drop()
