"""Experiment definitions (:class:`shopstream.measure.experiment_config.ExperimentStore`) in
PostgreSQL, shared by every API process of a scale-out deployment.

The ``experiments`` table is the definition: one row per experiment id, its definition as
parsed JSON (``NULL`` once removed), its position in the file that defined it, and the
``version`` of the change that last wrote it. A change (``replace``) runs in one transaction
under a table lock that writers take in turn, so versions commit in order; each process polls
``max(version)`` every ``poll_seconds`` in a thread and reloads when it moved, so an edit made
through one process is in force in every other within about ``poll_seconds``, and
``current`` (on every decision's path) never waits for PostgreSQL.

At start, the experiments of ``experiments.yaml`` whose ids the table has never held are
added (idempotent: a second process starting, or a restart, adds nothing); an id the table
already holds keeps the table's definition, with a warning when the file says otherwise.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

import orjson

from shopstream.measure.experiment_config import (
    ExperimentsFile,
    ExperimentSpec,
    parse_experiments,
)
from shopstream.storage.postgres._connection import PostgresUnavailable, SharedConnection

if TYPE_CHECKING:
    import psycopg

logger = logging.getLogger(__name__)


class PostgresExperiments:
    where = "the experiments table"

    def __init__(
        self,
        url: str,
        schema: str = "shopstream",
        *,
        seed: ExperimentsFile | None = None,
        poll_seconds: float = 1.0,
    ) -> None:
        self._db = SharedConnection(url, schema)
        self._lock = threading.Lock()
        self._version = -1
        self._file = ExperimentsFile()
        if seed is not None and seed.experiments:
            self._db.run(lambda conn: _seed(conn, seed))
        self.refresh()
        self._poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="experiments-poll", daemon=True)
        self._thread.start()

    def current(self) -> ExperimentsFile:
        return self._file

    def replace(self, text: str) -> ExperimentsFile:
        parsed = parse_experiments(text)
        self._db.run(lambda conn: _replace(conn, parsed))
        self.refresh()
        return self._file

    def refresh(self) -> bool:
        """Reload the definitions if another change was committed; whether it was."""
        with self._lock:
            version, found = self._db.run(lambda conn: _load_if_newer(conn, self._version))
            if found is None:
                return False
            self._version, self._file = version, found
            return True

    def _poll(self) -> None:
        while not self._stop.wait(self._poll_seconds):
            try:
                self.refresh()
            except PostgresUnavailable:
                logger.warning("experiments: PostgreSQL is away; the last definitions stay")
            except Exception:  # e.g. a row this version cannot read: keep polling
                logger.exception("experiments: reloading failed; the last definitions stay")

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._db.close()


def _lock(conn: psycopg.Connection) -> None:
    # Self-conflicting, so changes take turns (and their versions commit in order); readers
    # are not blocked.
    conn.execute("LOCK TABLE experiments IN SHARE ROW EXCLUSIVE MODE")


def _definition(spec: ExperimentSpec) -> bytes:
    return orjson.dumps(spec.model_dump(mode="json"))


def _seed(conn: psycopg.Connection, seed: ExperimentsFile) -> None:
    _lock(conn)
    held: dict[str, Any] = dict(conn.execute("SELECT id, definition FROM experiments").fetchall())
    position = len(held)
    for spec in seed.experiments:
        if spec.id in held:
            stored = held[spec.id]
            if stored is not None and ExperimentSpec.model_validate(stored) != spec:
                logger.warning(
                    "experiments.yaml's %s differs from the experiments table's; the table's "
                    "is in force (change it with PUT /v1/experiments)",
                    spec.id,
                )
            continue
        conn.execute(
            "INSERT INTO experiments (id, definition, position, version, updated_at)"
            " VALUES (%s, %s::jsonb, %s, nextval('experiment_versions'), now())",
            (spec.id, _definition(spec).decode(), position),
        )
        position += 1


def _replace(conn: psycopg.Connection, book: ExperimentsFile) -> None:
    _lock(conn)
    for position, spec in enumerate(book.experiments):
        conn.execute(
            "INSERT INTO experiments (id, definition, position, version, updated_at)"
            " VALUES (%s, %s::jsonb, %s, nextval('experiment_versions'), now())"
            " ON CONFLICT (id) DO UPDATE SET definition = EXCLUDED.definition,"
            " position = EXCLUDED.position, version = EXCLUDED.version,"
            " updated_at = EXCLUDED.updated_at",
            (spec.id, _definition(spec).decode(), position),
        )
    conn.execute(
        "UPDATE experiments SET definition = NULL, version = nextval('experiment_versions'),"
        " updated_at = now() WHERE definition IS NOT NULL AND NOT (id = ANY(%s))",
        ([spec.id for spec in book.experiments],),
    )


def _load_if_newer(conn: psycopg.Connection, seen: int) -> tuple[int, ExperimentsFile | None]:
    row = conn.execute("SELECT coalesce(max(version), 0) FROM experiments").fetchone()
    version = int(row[0]) if row else 0
    if version == seen:
        return version, None
    rows = conn.execute(
        "SELECT definition FROM experiments WHERE definition IS NOT NULL ORDER BY position, id"
    ).fetchall()
    return version, ExperimentsFile.model_validate({"experiments": [r[0] for r in rows]})
