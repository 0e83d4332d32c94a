"""The decisions log (:class:`shopstream.measure.DecisionLog`) in PostgreSQL, written in batches.

As exposures are (:mod:`.exposures`): ``record`` only queues, and a writer thread commits the
queue every ``flush_seconds`` (:mod:`._queued`); while PostgreSQL is away the queue is kept and
written when it is back (a crash meanwhile loses it). A decision id recorded again, by a replay
of a trigger or by another API process following the same log, keeps its first row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson

from shopstream.core import CustomerId
from shopstream.decide import DecisionId
from shopstream.measure import LoggedDecision, actions_from_json, actions_to_json
from shopstream.storage.postgres._queued import QueuedStore

if TYPE_CHECKING:
    import psycopg

_COLUMNS = "decision_id, customer_id, placement, channel, policy, at, actions, context, experiments"


class PostgresDecisionLog(QueuedStore[LoggedDecision]):
    store = "decisions"

    def _insert(self, conn: psycopg.Connection, items: list[LoggedDecision]) -> int:
        return _insert(conn, items)

    def get(self, decision_id: str) -> LoggedDecision | None:
        self.flush()
        row = self._db.run(
            lambda conn: conn.execute(
                f"SELECT {_COLUMNS} FROM decisions WHERE decision_id = %s", (decision_id,)
            ).fetchone()
        )
        if row is None:
            return None
        d, c, placement, channel, policy, at, actions, context, experiments = row
        return LoggedDecision(
            DecisionId(d), CustomerId(c), placement, channel, actions_from_json(bytes(actions)),
            policy, at, orjson.loads(bytes(context)), orjson.loads(bytes(experiments)),
        )  # fmt: skip


def _insert(conn: psycopg.Connection, decisions: list[LoggedDecision]) -> int:
    rows = [
        (d.decision_id, d.customer_id, d.placement, d.channel, d.policy, d.at,
         actions_to_json(d.actions), orjson.dumps(dict(d.context)),
         orjson.dumps(dict(d.experiments)))
        for d in decisions
    ]  # fmt: skip
    cursor = conn.cursor()
    cursor.executemany(
        f"INSERT INTO decisions ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT DO NOTHING",
        rows,
    )
    return cursor.rowcount
