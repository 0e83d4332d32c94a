"""The decisions log (:class:`shopstream.measure.DecisionLog`) in SQLite, written in the
background in batches (:mod:`.queued`) as exposures are: ``record`` is on every answer's path.
A decision id recorded again keeps its first row."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

import orjson

from shopstream.core import CustomerId, DroppedWrites
from shopstream.decide import DecisionId
from shopstream.measure import LoggedDecision, actions_from_json, actions_to_json
from shopstream.storage.sqlite.log import connect
from shopstream.storage.sqlite.queued import QueuedInserts

_SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    decision_id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    placement TEXT NOT NULL,
    channel TEXT NOT NULL,
    policy TEXT NOT NULL,
    at TEXT NOT NULL,
    actions TEXT NOT NULL,
    context TEXT NOT NULL,
    experiments TEXT NOT NULL
);
"""
_COLUMNS = "decision_id, customer_id, placement, channel, policy, at, actions, context, experiments"


class SQLiteDecisionLog:
    def __init__(
        self, path: Path, *, flush_seconds: float = 0.2, dropped: DroppedWrites | None = None
    ) -> None:
        self._conn = connect(path, fsync="normal")
        self._conn.executescript(_SCHEMA)
        self._lock = threading.Lock()
        self._writes: QueuedInserts[LoggedDecision] = QueuedInserts(
            self._conn, self._lock,
            f"INSERT OR IGNORE INTO decisions ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _row, store="decisions", dropped=dropped, flush_seconds=flush_seconds,
        )  # fmt: skip

    def record(self, decision: LoggedDecision) -> None:
        self._writes.put(decision)

    def flush(self) -> None:
        self._writes.flush()

    def get(self, decision_id: str) -> LoggedDecision | None:
        self.flush()
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_COLUMNS} FROM decisions WHERE decision_id = ?", (decision_id,)
            ).fetchone()
        if row is None:
            return None
        d, c, placement, channel, policy, at, actions, context, experiments = row
        return LoggedDecision(
            DecisionId(d), CustomerId(c), placement, channel, actions_from_json(actions), policy,
            datetime.fromisoformat(at), orjson.loads(context), orjson.loads(experiments),
        )  # fmt: skip

    def close(self) -> None:
        self._writes.stop()
        with self._lock:
            self._conn.close()


def _row(d: LoggedDecision) -> tuple[object, ...]:
    return (d.decision_id, d.customer_id, d.placement, d.channel, d.policy, d.at.isoformat(),
            actions_to_json(d.actions).decode(), orjson.dumps(dict(d.context)).decode(),
            orjson.dumps(dict(d.experiments)).decode())  # fmt: skip
