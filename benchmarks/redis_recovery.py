"""Rebuilding the Redis log after Redis restarted empty: what restoring the dedupe window costs.

``--events`` analytics.js/app-shaped events (``_common.EventFactory``, received now, so all of
them fall in the dedupe window) are archived in a fresh PostgreSQL schema, as the collectors
and workers archive them. Then, on a private ``redis-server`` that keeps nothing (no AOF, no
RDB), emptied before each round, :meth:`RedisEventLog.seed` rebuilds the log: the offset and
dead-letter counters from the archive's high water, and every message id of the window, a
page of 10,000 at a time, into its day bucket. Reported, median of ``--rounds``: the rebuild's
wall time, message ids/s, the high-water query alone, Redis memory for the restored map; the
baseline, in the same run, is paging the same ids out of PostgreSQL with nothing written
(the floor: the archive's read).

    python benchmarks/redis_recovery.py            # 200,000 events, 3 rounds
    python benchmarks/redis_recovery.py --quick    # 5,000 events, 1 round (CI)
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import redis.asyncio as aioredis

from _common import EventFactory, table, write_result
from shopstream.core import Offset, utcnow
from shopstream.events import message_to_json, parse_message
from shopstream.scaleout import ArchivedEvent
from shopstream.storage.postgres import PostgresArchive, migrate
from shopstream.storage.redis import RedisEventLog
from shopstream.testing import POSTGRES_URL, RedisServer, scaleout_namespace


async def fill(archive: PostgresArchive, count: int) -> None:
    """``count`` events received now, archived 5,000 a transaction."""
    factory = EventFactory()
    now = utcnow()
    raws = factory.batch(count, message_id="bench-{i}")
    for start in range(0, count, 5_000):
        batch = []
        for offset, raw in enumerate(raws[start : start + 5_000], start + 1):
            message = parse_message(raw, source="web", received_at=now)
            batch.append(ArchivedEvent(Offset(offset), 0, message_to_json(message), message, None))
        await archive.archive(batch)


async def read_only(archive: PostgresArchive) -> float:
    """Seconds to page every id of the window out of the archive (the floor)."""
    since = utcnow() - timedelta(days=8)
    started = time.perf_counter()
    after, total = Offset(0), 0
    while ids := await archive.recent_ids(since, after, 10_000):
        total += len(ids)
        after = ids[-1].offset
    return time.perf_counter() - started


async def rebuild(url: str, archive: PostgresArchive) -> tuple[float, float, int, int]:
    """Seconds of a whole rebuild, of its high-water query, ids restored, Redis bytes."""
    client = aioredis.Redis.from_url(url)
    log = RedisEventLog(url, prefix=f"bench-{uuid.uuid4().hex[:8]}", history=archive)
    try:
        await client.flushall()
        memory = int((await client.info("memory"))["used_memory"])
        started = time.perf_counter()
        await archive.high_water()
        high_water = time.perf_counter() - started
        await client.flushall()
        started = time.perf_counter()
        restored = await log.seed()
        elapsed = time.perf_counter() - started
        used = int((await client.info("memory"))["used_memory"]) - memory
        return elapsed, high_water, restored, used
    finally:
        await client.aclose()
        await log.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="5,000 events, one round")
    args = parser.parse_args()
    if args.quick:
        args.events, args.rounds = 5_000, 1
    runs: list[tuple[float, float, int, int]] = []
    floors: list[float] = []
    with scaleout_namespace() as ns, tempfile.TemporaryDirectory() as tmp:
        migrate(POSTGRES_URL, ns.schema)
        archive = PostgresArchive(POSTGRES_URL, ns.schema)
        try:
            started = time.perf_counter()
            await fill(archive, args.events)
            filled = time.perf_counter() - started
            with RedisServer(Path(tmp), extra_args=["--appendonly", "no"]) as server:
                for _ in range(args.rounds):
                    floors.append(await read_only(archive))
                    runs.append(await rebuild(server.url, archive))
        finally:
            archive.close()
    elapsed = statistics.median(r[0] for r in runs)
    high_water = statistics.median(r[1] for r in runs)
    restored = runs[0][2]
    used = statistics.median(r[3] for r in runs)
    floor = statistics.median(floors)
    rows = [
        ["", "seconds", "ids/s"],
        ["rebuild (counters + dedupe window)", f"{elapsed:.2f}", f"{restored / elapsed:,.0f}"],
        ["  high-water query alone", f"{high_water:.4f}", ""],
        ["read the ids from PostgreSQL only (floor)", f"{floor:.2f}", f"{restored / floor:,.0f}"],
    ]
    print(f"{args.events:,} archived events ({filled:.1f} s to archive), {restored:,} ids restored")
    print(
        f"median of {args.rounds} round(s); Redis memory for the map: {used / restored:.0f} B an id"
    )
    print(table(rows))
    path = write_result(
        "redis_recovery",
        {
            "quick": args.quick,
            "events": args.events,
            "rounds": args.rounds,
            "restored_ids": restored,
            "rebuild_s": round(elapsed, 3),
            "rebuild_ids_per_s": round(restored / elapsed),
            "high_water_s": round(high_water, 4),
            "read_only_s": round(floor, 3),
            "read_only_ids_per_s": round(restored / floor),
            "redis_bytes_per_id": round(used / restored),
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    asyncio.run(main())
