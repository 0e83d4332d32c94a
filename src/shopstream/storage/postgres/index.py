"""The archive looked up by identifier (:class:`shopstream.log.EventIndex`).

The archive keeps each event's identifiers in a GIN-indexed array, so there is nothing to
catch up: an answer covers every archived event. Events are archived by the workers within
moments of being appended; an event not archived yet is not in the answer (the embedded
index has no such lag).
"""

from __future__ import annotations

from collections.abc import Iterable

from shopstream.core import Offset
from shopstream.events import Identifier, Message, message_from_json
from shopstream.storage.postgres._connection import SharedConnection
from shopstream.storage.postgres.archive import identity_text


class PostgresEventIndex:
    def __init__(self, url: str, schema: str = "shopstream") -> None:
        self._db = SharedConnection(url, schema)

    def catch_up(self, limit: int | None = None) -> int:
        return 0

    def offsets(
        self, identifiers: Iterable[Identifier], before: Offset | None = None
    ) -> list[Offset]:
        keys = sorted({identity_text(i) for i in identifiers})
        if not keys:
            return []
        upper = before if before is not None else 2**63 - 1
        rows = self._db.run(
            lambda conn: conn.execute(
                'SELECT DISTINCT "offset" FROM events WHERE identities && %s AND "offset" < %s'
                ' ORDER BY "offset"',
                (keys, upper),
            ).fetchall()
        )
        return [Offset(r[0]) for r in rows]

    def payloads(self, offsets: list[Offset]) -> list[tuple[Offset, bytes]]:
        if not offsets:
            return []
        rows = self._db.run(
            lambda conn: conn.execute(
                'SELECT "offset", payload FROM events WHERE "offset" = ANY(%s) ORDER BY "offset"',
                (list(offsets),),
            ).fetchall()
        )
        return [(Offset(o), bytes(p)) for o, p in rows]

    def history(
        self, identifiers: Iterable[Identifier], before: Offset | None = None
    ) -> list[tuple[Offset, Message]]:
        offsets = self.offsets(identifiers, before)
        return [(o, message_from_json(p)) for o, p in self.payloads(offsets)]

    def close(self) -> None:
        self._db.close()
