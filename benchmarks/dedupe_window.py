"""The Redis log's append with a dedupe window: what looking in every live day bucket costs.

A private ``redis-server`` (no AOF, so Redis's CPU is the scripts' alone; the shared Redis has
other users) takes the same ``--events`` events (analytics.js/app-shaped,
``_common.EventFactory``), appended in batches of ``--batch`` as the collector does, in a fresh
key prefix each time:

1. the baseline: one live dedupe bucket, as on the first day of a log (and as the single
   dedupe hash was before the window: one lookup a new message);
2. a full window: the default 7-day window with 8 live day buckets (a message appended on
   each of the 7 days before), so each new message is looked up in all 8;
3. retries: the same batches again, on the full window, all repeats (found in the newest
   bucket that has them).

Runs alternate (1, 2, 3, 1, 2, 3, ...) and the median of ``--rounds`` is reported: events/s
of the append (wall clock, one client) and Redis CPU an event (``INFO cpu``).

    python benchmarks/dedupe_window.py            # 50,000 events, 3 rounds
    python benchmarks/dedupe_window.py --quick    # 5,000 events, 1 round (CI)
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis.asyncio as aioredis

from _common import EventFactory, table, write_result
from shopstream.core import FakeClock
from shopstream.events import Message, parse_message
from shopstream.storage.redis import RedisEventLog
from shopstream.testing import RedisServer

NOW = datetime.fromtimestamp((int(time.time()) // 86_400 + 1) * 86_400, UTC)  # a day boundary


async def redis_cpu(client: aioredis.Redis) -> float:
    info = await client.info("cpu")
    return float(info["used_cpu_sys"]) + float(info["used_cpu_user"])


async def run(url: str, messages: list[Message], batch: int, case: str) -> tuple[float, float]:
    """Events/s and Redis CPU µs an event of appending ``messages`` in ``case``."""
    clock = FakeClock(NOW)
    log = RedisEventLog(url, prefix=f"bench-{uuid.uuid4().hex[:8]}", partitions=16, clock=clock)
    client = aioredis.Redis.from_url(url)
    try:
        if case != "baseline":  # one message on each of the 7 days before: 8 live buckets
            for day in range(7, 0, -1):
                clock.set(NOW - timedelta(days=day))
                await log.append([messages[0].model_copy(update={"message_id": f"old-{day}"})])
            clock.set(NOW)
        if case == "retries":
            for start in range(0, len(messages), batch):
                await log.append(messages[start : start + batch])
        cpu = await redis_cpu(client)
        started = time.perf_counter()
        for start in range(0, len(messages), batch):
            await log.append(messages[start : start + batch])
        elapsed = time.perf_counter() - started
        used = await redis_cpu(client) - cpu
        return len(messages) / elapsed, used / len(messages) * 1e6
    finally:
        await client.flushdb()
        await client.aclose()
        await log.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="5,000 events, one round")
    args = parser.parse_args()
    if args.quick:
        args.events, args.rounds = 5_000, 1
    factory = EventFactory()
    messages = [
        parse_message(raw, source="web", received_at=NOW)
        for raw in factory.batch(args.events, message_id="bench-{i}")
    ]
    cases = ("baseline", "full window", "retries")
    figures: dict[str, list[tuple[float, float]]] = {case: [] for case in cases}
    with tempfile.TemporaryDirectory() as tmp:
        server = RedisServer(Path(tmp), extra_args=["--appendonly", "no"])
        with server:
            for _ in range(args.rounds):
                for case in cases:
                    figures[case].append(await run(server.url, messages, args.batch, case))
    median = {
        case: (
            statistics.median(r for r, _ in runs),
            statistics.median(c for _, c in runs),
        )
        for case, runs in figures.items()
    }
    base_rate, base_cpu = median["baseline"]
    rows = [["case", "events/s", "Redis µs/event", "x baseline CPU"]]
    for case, (rate, cpu) in median.items():
        rows.append([case, f"{rate:,.0f}", f"{cpu:.1f}", f"{cpu / base_cpu:.2f}"])
    print(f"{args.events:,} events in batches of {args.batch}, median of {args.rounds} round(s)")
    print(table(rows))
    path = write_result(
        "dedupe_window",
        {
            "quick": args.quick,
            "events": args.events,
            "batch": args.batch,
            "rounds": args.rounds,
            "cases": {
                case: {"events_per_s": round(rate), "redis_us_per_event": round(cpu, 2)}
                for case, (rate, cpu) in median.items()
            },
            "full_window_cpu_x_baseline": round(median["full window"][1] / base_cpu, 3),
            "baseline_events_per_s": round(base_rate),
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    asyncio.run(main())
