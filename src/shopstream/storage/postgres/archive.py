"""The event archive: every appended event in PostgreSQL, partitioned by the day received.

Workers archive what they processed before they acknowledge it, so an acknowledged stream
entry is always in the archive, and the Redis streams are trimmed only up to what is. Writing
is idempotent (``ON CONFLICT DO NOTHING``): an entry redelivered after a crash is archived
once. In the same transaction go the identity links the worker resolved and the outcomes
(orders) that Measure joins to exposures.

Day partitions are created on demand, under an advisory lock so concurrent workers do not
race to create the same one.

Dead letters are archived too (``dead_letters``, by the id Redis gave them), and the archive
is what the Redis log is rebuilt from when Redis restarts empty
(:class:`shopstream.storage.redis.log.LogHistory`): its high water and the message ids of the
dedupe window.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from shopstream.core import Offset, stable_hash
from shopstream.events import EventName, Identifier, Message
from shopstream.log import DeadLetter, LogRecord
from shopstream.scaleout.store import ArchivedEvent, Merged
from shopstream.storage.postgres._connection import SharedConnection
from shopstream.storage.redis.log import ArchivedId

if TYPE_CHECKING:
    import psycopg

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_PARTITION_LOCK = stable_hash("shopstream-archive-partitions") >> 1


def identity_text(identifier: Identifier) -> str:
    return f"{identifier.type}:{identifier.value}"


class PostgresArchive:
    """The archive, read by offset as the log's history once Redis has trimmed it."""

    def __init__(self, url: str, schema: str = "shopstream") -> None:
        self._db = SharedConnection(url, schema)
        self._days: set[str] = set()

    async def archive(self, events: Sequence[ArchivedEvent]) -> None:
        if events:
            await asyncio.to_thread(self._db.run, lambda conn: self._write(conn, events))

    def _write(self, conn: psycopg.Connection, events: Sequence[ArchivedEvent]) -> None:
        days = {_day(e.message) for e in events} - self._days
        if days:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_PARTITION_LOCK,))
            for day in sorted(days):  # ISO dates we made: safe to splice (DDL takes no parameters)
                start = date.fromisoformat(day)
                conn.execute(
                    f"CREATE TABLE IF NOT EXISTS events_{start:%Y%m%d} PARTITION OF events"
                    f" FOR VALUES FROM ('{start}') TO ('{start + timedelta(days=1)}')"
                )
        # COPY into a per-session staging table, then one INSERT .. ON CONFLICT: COPY is the
        # fastest way in, and it cannot skip the rows a redelivered batch already archived.
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS incoming (LIKE events) ON COMMIT DELETE ROWS")
        with conn.cursor().copy(
            'COPY incoming ("offset", received_at, source, message_id, partition, identities,'
            " payload) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["int8", "timestamptz", "text", "text", "int4", "text[]", "bytea"])
            for e in events:
                m = e.message
                copy.write_row((
                    e.offset, m.received_at or _EPOCH, m.source or "", m.message_id or "",
                    e.partition, [identity_text(i) for i in m.identities], e.payload,
                ))  # fmt: skip
        conn.execute("INSERT INTO events SELECT * FROM incoming ON CONFLICT DO NOTHING")
        links = {
            identity_text(i): (e.customer_id, e.offset)
            for e in events
            if e.customer_id is not None
            for i in e.message.identities
        }
        if links:
            keys = sorted(links)
            conn.execute(
                'INSERT INTO identity_links (identifier, customer_id, "offset")'
                " SELECT * FROM unnest(%s::text[], %s::text[], %s::bigint[])"
                " ON CONFLICT (identifier) DO UPDATE"
                ' SET customer_id = excluded.customer_id, "offset" = excluded."offset",'
                ' updated_at = now() WHERE identity_links."offset" < excluded."offset"',
                (keys, [links[k][0] for k in keys], [links[k][1] for k in keys]),
            )
        outcomes = list(_outcomes(events))
        if outcomes:
            conn.cursor().executemany(
                'INSERT INTO outcomes ("offset", customer_id, event, value, at)'
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                outcomes,
            )
        self._days |= days

    async def archive_merges(self, merges: Sequence[Merged]) -> None:
        """Identity merges into ``identity_merges`` (one row per offset and loser)."""
        rows = [
            (f"{m.offset}:{m.loser}", m.winner, m.loser, m.offset, m.message_id or None,
             datetime.fromtimestamp(m.at_ms / 1000, UTC))
            for m in merges
        ]  # fmt: skip
        if rows:
            await asyncio.to_thread(
                self._db.run,
                lambda conn: conn.cursor().executemany(
                    'INSERT INTO identity_merges (id, winner, loser, "offset", message_id, at)'
                    " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    rows,
                ),
            )

    async def read(
        self, after: Offset, limit: int, *, before: Offset | None = None
    ) -> list[LogRecord]:
        """Archived events with offsets in (``after``, ``before``), in order."""
        upper = before if before is not None else Offset(2**63 - 1)
        rows = await asyncio.to_thread(
            self._db.run,
            lambda conn: conn.execute(
                'SELECT "offset", payload FROM events WHERE "offset" > %s AND "offset" < %s'
                ' ORDER BY "offset" LIMIT %s',
                (after, upper, limit),
            ).fetchall(),
        )
        return [LogRecord(Offset(o), bytes(p)) for o, p in rows]

    async def replay(self, after: Offset, limit: int, bounds: Sequence[Offset]) -> list[LogRecord]:
        """Archived events with offsets above ``after`` and below ``bounds[partition]``, in
        order: what rebuilding the online state replays (:mod:`shopstream.scaleout.rebuild`)."""
        if not bounds:
            return []
        rows = await asyncio.to_thread(
            self._db.run,
            lambda conn: conn.execute(
                'SELECT "offset", payload FROM events WHERE "offset" > %s AND "offset" < %s'
                ' AND "offset" < (%s::bigint[])[partition + 1] ORDER BY "offset" LIMIT %s',
                (after, max(bounds), list(bounds), limit),
            ).fetchall(),
        )
        return [LogRecord(Offset(o), bytes(p)) for o, p in rows]

    async def count_before(self, bounds: Sequence[Offset]) -> int:
        """How many archived events lie below ``bounds[partition]``."""
        if not bounds:
            return 0
        row = await asyncio.to_thread(
            self._db.run,
            lambda conn: conn.execute(
                'SELECT count(*) FROM events WHERE "offset" < %s'
                ' AND "offset" < (%s::bigint[])[partition + 1]',
                (max(bounds), list(bounds)),
            ).fetchone(),
        )
        return int(row[0]) if row else 0

    async def reached(self) -> Offset:
        """The largest archived offset (0 when empty); offsets below it may still be missing."""
        row = await asyncio.to_thread(
            self._db.run,
            lambda conn: conn.execute('SELECT coalesce(max("offset"), 0) FROM events').fetchone(),
        )
        return Offset(int(row[0]) if row else 0)

    async def archive_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        """Store dead letters by their ids (idempotent: an id stored before is kept)."""
        rows = [
            (d.id, d.source, d.received_at, d.field, d.reason, d.payload)
            for d in letters
            if d.id is not None
        ]
        if rows:
            await asyncio.to_thread(
                self._db.run,
                lambda conn: conn.cursor().executemany(
                    "INSERT INTO dead_letters (id, source, received_at, field, reason, payload)"
                    " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
                    rows,
                ),
            )

    async def dead_letters(
        self, after: int, limit: int, *, before: int | None = None
    ) -> list[DeadLetter]:
        """Archived dead letters with ids in (``after``, ``before``), by id."""
        upper = before if before is not None else 2**63 - 1
        rows = await asyncio.to_thread(
            self._db.run,
            lambda conn: conn.execute(
                "SELECT id, source, received_at, field, reason, payload FROM dead_letters"
                " WHERE id > %s AND id < %s ORDER BY id LIMIT %s",
                (after, upper, limit),
            ).fetchall(),
        )
        return [
            DeadLetter(source, at.astimezone(UTC), field, reason, bytes(payload), id=int(i))
            for i, source, at, field, reason, payload in rows
        ]

    async def high_water(self) -> tuple[Offset, int]:
        """The largest offset archived or read past (the API processes' snapshots and measured
        events), and the largest dead-letter id archived."""
        row = await asyncio.to_thread(
            self._db.run,
            lambda conn: conn.execute(
                'SELECT greatest((SELECT max("offset") FROM events),'
                ' (SELECT max("offset") FROM states), (SELECT max("offset") FROM measured_events),'
                " 0), coalesce((SELECT max(id) FROM dead_letters), 0)"
            ).fetchone(),
        )
        return (Offset(int(row[0])), int(row[1])) if row else (Offset(0), 0)

    async def recent_ids(self, since: datetime, after: Offset, limit: int) -> list[ArchivedId]:
        """Events received at or after ``since`` with offsets above ``after``, by offset."""
        rows = await asyncio.to_thread(
            self._db.run,
            lambda conn: conn.execute(
                'SELECT source, message_id, "offset", received_at FROM events'
                ' WHERE received_at >= %s AND "offset" > %s ORDER BY "offset" LIMIT %s',
                (since, after, limit),
            ).fetchall(),
        )
        return [ArchivedId(source, mid, Offset(o), at) for source, mid, o, at in rows]

    async def count(self) -> int:
        row = await asyncio.to_thread(
            self._db.run, lambda conn: conn.execute("SELECT count(*) FROM events").fetchone()
        )
        return int(row[0]) if row else 0

    async def ping(self) -> None:
        await asyncio.to_thread(self._db.run, lambda conn: conn.execute("SELECT 1"))

    def close(self) -> None:
        self._db.close()


def _day(message: Message) -> str:
    return (message.received_at or _EPOCH).astimezone(UTC).date().isoformat()


def _outcomes(events: Iterable[ArchivedEvent]) -> Iterable[tuple[object, ...]]:
    for e in events:
        m = e.message
        if e.customer_id is None or m.type != "track" or m.event != EventName.ORDER_COMPLETED:
            continue
        props = m.properties
        raw = props.get("total", props.get("revenue"))
        value = float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else None
        yield (e.offset, e.customer_id, str(m.event), value, m.timestamp or m.received_at or _EPOCH)
