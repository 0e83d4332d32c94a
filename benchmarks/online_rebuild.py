"""Rebuilding the workers' online state from the archive after Redis restarted empty.

``--events`` analytics.js/app-shaped events (``_common.EventFactory``: shoppers browsing,
adding, ordering, identifying) are archived in a fresh PostgreSQL schema, 8 partitions, as the
collectors and workers archive them. Then, on a private ``redis-server`` that keeps nothing,
emptied before each round, the log is seeded (untimed: it happens anyway, and
``redis_recovery.py`` measures it) and :func:`rebuild_online_state` replays the archive into
the online state: the plan, pages of 2,000 archived events read in offset order (the next page
read while this one is applied), decoded, put through ``online_update`` and the apply script.
Reported, median of ``--rounds``: the rebuild's seconds and events/s and Redis memory for the
state; the baselines, in the same run: paging the same rows out of PostgreSQL with nothing
else done (the archive's read, the floor), and reading plus decoding plus ``online_update``
with nothing written (the Python side alone).

    python benchmarks/online_rebuild.py            # 100,000 events, 3 rounds
    python benchmarks/online_rebuild.py --quick    # 5,000 events, 1 round (CI)
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import redis.asyncio as aioredis

from _common import EventFactory, table, write_result
from shopstream.core import Offset, stable_hash
from shopstream.events import message_to_json, parse_message
from shopstream.scaleout import ArchivedEvent, online_update, rebuild_online_state
from shopstream.scaleout.rebuild import PAGE
from shopstream.storage.postgres import PostgresArchive, migrate
from shopstream.storage.redis import RedisEventLog, RedisLeases, RedisOnlineState
from shopstream.testing import POSTGRES_URL, RedisServer, scaleout_namespace

PARTITIONS = 8
RECEIVED = datetime(2026, 3, 1, 9, tzinfo=UTC)  # long past: no dedupe window to restore


async def fill(archive: PostgresArchive, count: int) -> None:
    """``count`` events, archived 5,000 a transaction, each in its partition (the stable hash
    of its first identity, as ``RedisEventLog.partition_of`` picks it)."""
    raws = EventFactory().batch(count, message_id="bench-{i}")
    for start in range(0, count, 5_000):
        batch = []
        for offset, raw in enumerate(raws[start : start + 5_000], start + 1):
            message = parse_message(raw, source="web", received_at=RECEIVED)
            first = message.identities[0]
            partition = stable_hash(f"{first.type}:{first.value}") % PARTITIONS
            batch.append(
                ArchivedEvent(Offset(offset), partition, message_to_json(message), message, None)
            )
        await archive.archive(batch)


async def read_only(archive: PostgresArchive, bounds: tuple[Offset, ...], decode: bool) -> float:
    """Seconds to page the rows the rebuild replays out of the archive, and (``decode``) to
    decode each and compute its update, with nothing written."""
    started = time.perf_counter()
    after = Offset(0)
    while records := await archive.replay(after, PAGE, bounds):
        if decode:
            for r in records:
                online_update(r.offset, r.message)
        after = records[-1].offset
    return time.perf_counter() - started


async def rebuild(url: str, archive: PostgresArchive) -> tuple[float, int, int, tuple[Offset, ...]]:
    """Seconds of a whole rebuild, events replayed, Redis bytes, the plan's bounds."""
    client = aioredis.Redis.from_url(url)
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    log = RedisEventLog(url, prefix=prefix, partitions=PARTITIONS, history=archive)
    state = RedisOnlineState(log.client, prefix, RedisLeases(log.client, prefix))
    try:
        await client.flushall()
        await log.last_offset()  # the log seeds itself from the archive first
        memory = int((await client.info("memory"))["used_memory"])
        started = time.perf_counter()
        replayed = await rebuild_online_state(
            log, state, archive, worker="bench", group="workers", lease_ms=60_000
        )
        elapsed = time.perf_counter() - started
        used = int((await client.info("memory"))["used_memory"]) - memory
        assert replayed is not None and await state.seeded()
        bounds = tuple(await log.resume_points("workers"))
        return elapsed, replayed, used, bounds
    finally:
        await client.aclose()
        await log.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="5,000 events, one round")
    args = parser.parse_args()
    if args.quick:
        args.events, args.rounds = 5_000, 1
    runs: list[tuple[float, int, int, tuple[Offset, ...]]] = []
    reads: list[float] = []
    decodes: list[float] = []
    with scaleout_namespace() as ns, tempfile.TemporaryDirectory() as tmp:
        migrate(POSTGRES_URL, ns.schema)
        archive = PostgresArchive(POSTGRES_URL, ns.schema)
        try:
            started = time.perf_counter()
            await fill(archive, args.events)
            filled = time.perf_counter() - started
            with RedisServer(Path(tmp), extra_args=["--appendonly", "no"]) as server:
                for _ in range(args.rounds):  # alternating, so load on the machine hits all
                    runs.append(await rebuild(server.url, archive))
                    reads.append(await read_only(archive, runs[-1][3], decode=False))
                    decodes.append(await read_only(archive, runs[-1][3], decode=True))
        finally:
            archive.close()
    elapsed = statistics.median(r[0] for r in runs)
    replayed = runs[0][1]
    used = statistics.median(r[2] for r in runs)
    read, decode = statistics.median(reads), statistics.median(decodes)
    rows = [
        ["", "seconds", "events/s", "x floor"],
        ["rebuild (plan, read, decode, update, apply)", f"{elapsed:.2f}",
         f"{replayed / elapsed:,.0f}", f"{read / elapsed:.2f}"],
        ["read + decode + online_update, nothing written", f"{decode:.2f}",
         f"{replayed / decode:,.0f}", f"{read / decode:.2f}"],
        ["read the rows from PostgreSQL only (floor)", f"{read:.2f}", f"{replayed / read:,.0f}",
         "1.00"],
    ]  # fmt: skip
    print(f"{args.events:,} archived events ({filled:.1f} s to archive), {replayed:,} replayed")
    print(f"median of {args.rounds} round(s); Redis memory for the state: {used / 1e6:.1f} MB")
    print(table(rows))
    path = write_result(
        "online_rebuild",
        {
            "quick": args.quick,
            "events": args.events,
            "partitions": PARTITIONS,
            "rounds": args.rounds,
            "replayed": replayed,
            "rebuild_s": round(elapsed, 3),
            "rebuild_events_per_s": round(replayed / elapsed),
            "decode_only_s": round(decode, 3),
            "decode_only_events_per_s": round(replayed / decode),
            "read_only_s": round(read, 3),
            "read_only_events_per_s": round(replayed / read),
            "rebuild_x_read": round(read / elapsed, 3),
            "redis_bytes": used,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    asyncio.run(main())
