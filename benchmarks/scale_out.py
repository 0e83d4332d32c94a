"""Scale-out: events/s the workers apply, against the raw Redis Streams floor, and detect latency.

Against the shared local Redis and PostgreSQL, each run in a fresh key prefix and schema
(removed afterwards):

1. The floor, measured first in the same run: the same events' payloads ``XADD``-ed
   (pipelined, 500 a round trip) to one stream, then read back with ``XREADGROUP`` (500 a
   call) and ``XACK``-ed: what Redis itself does for a worker, without any of its work.
2. Processing: 1, then 2 ``shopstream worker`` processes start and share the partitions out,
   are paused (SIGSTOP) while ``--events`` events (analytics.js/app-shaped,
   ``_common.EventFactory``) are appended as the collector does, and resumed: the clock runs
   from then to the last event applied to the online state, archived in PostgreSQL and
   acknowledged. CPU per event is read for Redis (``INFO cpu``), the workers and their
   PostgreSQL backends (``/proc``), over the same span.
3. Detect latency: with one worker running, batches of 50 events are appended at a steady
   ``--rate`` (Redis, then the PostgreSQL archive, as a collector acknowledges with the default
   ``ack=redis+postgres``); for every batch, the time from the acknowledgement until its last
   event is applied to the online state (its bit in the applied bitmap), polled every ms. The
   poll's own round trip is measured alongside (the floor of this measurement).

    python benchmarks/scale_out.py            # 50,000 events; 20 s of detect at 1,000 ev/s
    python benchmarks/scale_out.py --quick    # 5,000 events; 4 s (CI)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

import psycopg
import redis.asyncio as aioredis

from _common import EventFactory, percentile, process_cpu_seconds, table, write_result
from shopstream.events import Message, message_to_json, parse_message
from shopstream.settings import Settings
from shopstream.storage.redis import online_tag
from shopstream.storage.scaleout import build
from shopstream.testing import POSTGRES_URL, REDIS_URL, Namespace, scaleout_namespace

PARTITIONS = 8
BATCH = 500


def events(count: int, seed: int = 7) -> list[Message]:
    factory = EventFactory(seed)
    now = datetime.now(UTC)
    return [
        parse_message(factory.event(f"bench-{seed}-{i}"), source="web", received_at=now)
        for i in range(count)
    ]


async def raw_floor(messages: list[Message], ns: Namespace) -> dict[str, float]:
    client = aioredis.Redis.from_url(REDIS_URL)
    stream = f"{ns.prefix}:raw"
    payloads = [message_to_json(m) for m in messages]
    try:
        await client.xgroup_create(stream, "g", id="0", mkstream=True)
        started = time.perf_counter()
        for i in range(0, len(payloads), BATCH):
            async with client.pipeline(transaction=False) as pipe:
                for payload in payloads[i : i + BATCH]:
                    pipe.xadd(stream, {"payload": payload})
                await pipe.execute()
        appended = time.perf_counter()
        read = 0
        while read < len(payloads):
            reply = await client.xreadgroup("g", "c", {stream: ">"}, count=BATCH)
            for _, entries in reply:
                read += len(entries)
                await client.xack(stream, "g", *[entry_id for entry_id, _ in entries])
        done = time.perf_counter()
    finally:
        await client.delete(stream)
        await client.aclose()
    n = len(payloads)
    return {
        "xadd_per_s": n / (appended - started),
        "xreadgroup_xack_per_s": n / (done - appended),
        "xadd_plus_xreadgroup_per_s": n / (done - started),
    }


def settings_for(ns: Namespace) -> Settings:
    return Settings(
        redis_url=REDIS_URL, postgres_url=POSTGRES_URL, redis_prefix=ns.prefix,
        postgres_schema=ns.schema, partitions=PARTITIONS,
    )  # fmt: skip


def start_workers(ns: Namespace, count: int) -> list[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "SHOPSTREAM_REDIS_URL": REDIS_URL, "SHOPSTREAM_POSTGRES_URL": POSTGRES_URL,
        "SHOPSTREAM_REDIS_PREFIX": ns.prefix, "SHOPSTREAM_POSTGRES_SCHEMA": ns.schema,
        "SHOPSTREAM_PARTITIONS": str(PARTITIONS),
    }  # fmt: skip
    command = [sys.executable, "-m", "shopstream", "worker", "--batch", str(BATCH),
               "--lease-ms", "10000"]  # fmt: skip
    quiet = subprocess.DEVNULL
    return [
        subprocess.Popen([*command, "--name", f"bench-w{i}"], env=env, stdout=quiet, stderr=quiet)
        for i in range(count)
    ]


def postgres_cpu(ns: Namespace) -> float:
    """CPU seconds used by the PostgreSQL backends serving this run's schema (same machine)."""
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        pids = [row[0] for row in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s",
            (f"shopstream {ns.schema}",),
        ).fetchall()]  # fmt: skip
    total = 0.0
    for pid in pids:
        try:
            fields = open(f"/proc/{pid}/stat").read().rpartition(")")[2].split()  # noqa: SIM115
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def stop(workers: list[subprocess.Popen[bytes]]) -> None:
    for w in workers:
        w.send_signal(signal.SIGTERM)
    for w in workers:
        w.wait(timeout=30)


async def wait_for_leases(client: aioredis.Redis, ns: Namespace, workers: int) -> None:
    while True:
        holders = {
            (await client.get(f"{online_tag(ns.prefix)}:lease:{p}") or b"")
            .decode()
            .partition(":")[0]
            for p in range(PARTITIONS)
        }
        if "" not in holders and len(holders) == workers:
            return
        await asyncio.sleep(0.1)


async def redis_cpu(client: aioredis.Redis) -> float:
    """Seconds of CPU the Redis server has used (all its threads)."""
    info = await client.info("cpu")
    return float(info["used_cpu_sys"]) + float(info["used_cpu_user"])


async def processing(
    messages: list[Message], workers: int
) -> tuple[float, float, float, float, float]:
    """A backlog of ``messages`` applied by ``workers`` processes.

    The workers start on an empty log and share the partitions out; then they are paused
    (SIGSTOP), the backlog is appended, and the clock runs from their resumption to the last
    event archived: neither start-up nor the appends are counted.

    Returns events/s, Redis's CPU per event (µs) for the appends and for the processing, the
    workers' own CPU per event (µs), and their PostgreSQL backends' CPU per event (µs).
    """
    with scaleout_namespace() as ns:
        parts = build(settings_for(ns).model_copy(update={"ack": "redis"}))
        client = aioredis.Redis.from_url(REDIS_URL)
        pool = start_workers(ns, workers)
        try:
            await wait_for_leases(client, ns, workers)
            for w in pool:
                w.send_signal(signal.SIGSTOP)
            cpu = await redis_cpu(client)
            for i in range(0, len(messages), BATCH):
                await parts.log.append(messages[i : i + BATCH])
            append_us = (await redis_cpu(client) - cpu) / len(messages) * 1e6
            cpu = await redis_cpu(client)
            worker_cpu = sum(process_cpu_seconds(w.pid) for w in pool)
            pg_cpu = postgres_cpu(ns)
            started = time.perf_counter()
            for w in pool:
                w.send_signal(signal.SIGCONT)
            with psycopg.connect(
                POSTGRES_URL, options=f"-c search_path={ns.schema}", autocommit=True
            ) as conn:
                while True:
                    row = conn.execute("SELECT count(*) FROM events").fetchone()
                    if row is not None and row[0] >= len(messages):
                        break
                    await asyncio.sleep(0.05)
            rate = len(messages) / (time.perf_counter() - started)
            process_us = (await redis_cpu(client) - cpu) / len(messages) * 1e6
            worker_us = (
                (sum(process_cpu_seconds(w.pid) for w in pool) - worker_cpu) / len(messages) * 1e6
            )
            pg_us = (postgres_cpu(ns) - pg_cpu) / len(messages) * 1e6
            return rate, append_us, process_us, worker_us, pg_us
        finally:
            for w in pool:
                w.send_signal(signal.SIGCONT)
            stop(pool)
            await client.aclose()
            await parts.log.close()
            for close in parts.closers:
                close()


async def detect(messages: list[Message], rate: int, seconds: float) -> dict[str, Any]:
    with scaleout_namespace() as ns:
        parts = build(settings_for(ns))
        client = aioredis.Redis.from_url(REDIS_URL)
        pool = start_workers(ns, 1)
        bits = f"{online_tag(ns.prefix)}:applied:0"
        latencies: list[float] = []
        polls: list[float] = []
        try:
            await wait_for_leases(client, ns, 1)
            per_batch = 50
            interval = per_batch / rate
            deadline = time.perf_counter() + seconds
            i = 0
            next_at = time.perf_counter()
            while time.perf_counter() < deadline and i + per_batch <= len(messages):
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
                next_at += interval
                offsets = await parts.log.append(messages[i : i + per_batch])
                i += per_batch
                acked = time.perf_counter()
                while True:
                    before = time.perf_counter()
                    seen = await client.getbit(bits, max(offsets))
                    polls.append(time.perf_counter() - before)
                    if seen:
                        latencies.append(time.perf_counter() - acked)
                        break
                    await asyncio.sleep(0.001)
        finally:
            stop(pool)
            await client.aclose()
            await parts.log.close()
            for close in parts.closers:
                close()
    ms = [x * 1000 for x in latencies]
    return {
        "rate_events_per_s": rate,
        "batches": len(ms),
        "p50_ms": percentile(ms, 50),
        "p99_ms": percentile(ms, 99),
        "poll_round_trip_p50_ms": percentile([p * 1000 for p in polls], 50),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 events, 4 s of detect (CI)")
    parser.add_argument("--events", type=int, default=None)
    parser.add_argument("--rate", type=int, default=1_000, help="detect: events/s appended")
    args = parser.parse_args()
    count = args.events or (5_000 if args.quick else 50_000)
    seconds = 4.0 if args.quick else 20.0
    messages = events(count)
    with scaleout_namespace() as ns:
        floor = await raw_floor(messages, ns)
    one, append_us, process_us, worker_us, pg_us = await processing(messages, 1)
    two, *_ = await processing(events(count, seed=8), 2)
    latency = await detect(events(int(args.rate * seconds * 1.2) + 100, seed=9), args.rate, seconds)
    base = floor["xadd_plus_xreadgroup_per_s"]
    rows = [
        ["", "events/s", "x floor"],
        ["raw XADD (pipelined)", f"{floor['xadd_per_s']:,.0f}", ""],
        ["raw XREADGROUP + XACK", f"{floor['xreadgroup_xack_per_s']:,.0f}", ""],
        ["raw XADD + XREADGROUP (floor)", f"{base:,.0f}", "1.00"],
        ["1 worker", f"{one:,.0f}", f"{one / base:.2f}"],
        ["2 workers", f"{two:,.0f}", f"{two / base:.2f}"],
    ]
    print(f"scale-out, {count:,} events, {PARTITIONS} partitions, {os.cpu_count()} CPUs")
    print(table(rows))
    print(
        f"Redis CPU an event: {append_us:.0f} µs to append (dedupe, order stream, partition), "
        f"{process_us:.0f} µs to process (read, apply online state, ack, trim); "
        f"worker CPU an event: {worker_us:.0f} µs; "
        f"PostgreSQL CPU an event (archive): {pg_us:.0f} µs"
    )
    print(
        f"detect at {latency['rate_events_per_s']:,} ev/s (append ack -> applied online): "
        f"p50 {latency['p50_ms']:.1f} ms, p99 {latency['p99_ms']:.1f} ms "
        f"(poll round trip {latency['poll_round_trip_p50_ms']:.2f} ms, {latency['batches']} batches)"
    )
    path = write_result(
        "scale_out",
        {
            "quick": args.quick, "events": count, "partitions": PARTITIONS, "batch": BATCH,
            "floor": floor, "workers_1_events_per_s": one, "workers_2_events_per_s": two,
            "workers_1_x_floor": one / base, "workers_2_x_floor": two / base, "detect": latency,
            "redis_cpu_us_per_event": {"append": append_us, "process": process_us},
            "worker_cpu_us_per_event": worker_us,
            "postgres_cpu_us_per_event": pg_us,
        },
    )  # fmt: skip
    print(f"wrote {path}")


if __name__ == "__main__":
    asyncio.run(main())
