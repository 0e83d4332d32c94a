"""Three worker processes, one killed with SIGKILL mid-stream: its pending entries are claimed,
and the final state equals one worker's clean replay; nothing is lost or counted twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis

from shopstream.settings import Settings
from shopstream.storage.redis import RedisEventLog, log_tag, online_tag
from shopstream.storage.scaleout import build_worker
from shopstream.testing import POSTGRES_URL, REDIS_URL, Namespace, scaleout_namespace

from .traffic import traffic

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

EVENTS = 3_000
PARTITIONS = 8
GROUP = "workers"


@pytest.fixture
def namespace() -> Iterator[Namespace]:
    with scaleout_namespace() as ns:
        yield ns


def settings_for(ns: Namespace) -> Settings:
    return Settings(
        redis_url=REDIS_URL, postgres_url=POSTGRES_URL, redis_prefix=ns.prefix,
        postgres_schema=ns.schema, partitions=PARTITIONS,
    )  # fmt: skip


def start_worker(ns: Namespace, name: str, logs: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SHOPSTREAM_REDIS_URL": REDIS_URL,
        "SHOPSTREAM_POSTGRES_URL": POSTGRES_URL,
        "SHOPSTREAM_REDIS_PREFIX": ns.prefix,
        "SHOPSTREAM_POSTGRES_SCHEMA": ns.schema,
        "SHOPSTREAM_PARTITIONS": str(PARTITIONS),
    }
    with (logs / f"{name}.log").open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "shopstream", "worker", "--name", name, "--batch", "25",
             "--lease-ms", "1500"],
            env=env, stdout=out, stderr=out,
        )  # fmt: skip


def pending_of(ns: Namespace, consumer: str | None = None) -> int:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        total = 0
        for p in range(PARTITIONS):
            stream = f"{log_tag(ns.prefix)}:events:{p}"
            if not client.exists(stream):
                continue
            groups = [g["name"].decode() for g in client.xinfo_groups(stream)]
            if GROUP not in groups:
                continue
            if consumer is None:
                total += int(client.xpending(stream, GROUP)["pending"])
            else:
                rows = client.xpending_range(stream, GROUP, "-", "+", 10_000, consumername=consumer)
                total += len(rows)
        return total
    finally:
        client.close()


def wait_until_all_hold_leases(ns: Namespace, names: list[str], timeout: float = 60) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            holders = {
                (client.get(f"{online_tag(ns.prefix)}:lease:{p}") or b"").decode().partition(":")[0]
                for p in range(PARTITIONS)
            }
            if set(names) <= holders:
                return
            time.sleep(0.1)
        msg = f"not every worker holds a partition: {holders}"
        raise TimeoutError(msg)
    finally:
        client.close()


def archive_counts(ns: Namespace) -> tuple[int, int]:
    with psycopg.connect(POSTGRES_URL, options=f"-c search_path={ns.schema}") as conn:
        try:
            row = conn.execute('SELECT count(*), count(DISTINCT "offset") FROM events').fetchone()
        except psycopg.errors.UndefinedTable:
            return 0, 0
    assert row is not None
    return int(row[0]), int(row[1])


async def append_all(ns: Namespace, chunks: list[list], pause: float = 0.0) -> None:  # type: ignore[type-arg]
    log = RedisEventLog(REDIS_URL, prefix=ns.prefix, partitions=PARTITIONS)
    try:
        for chunk in chunks:
            await log.append(chunk)
            if pause:
                await asyncio.sleep(pause)
    finally:
        await log.close()


async def replay_with_one_worker(ns: Namespace, messages: list) -> dict[str, object]:  # type: ignore[type-arg]
    await append_all(ns, [messages])
    parts = build_worker(settings_for(ns), name="solo", lease_ms=1500, block_ms=50)
    try:
        while parts.worker.stats.processed < len(messages):
            await parts.worker.step()
        return await parts.online.snapshot()
    finally:
        await parts.close()


async def snapshot_of(ns: Namespace) -> dict[str, object]:
    parts = build_worker(settings_for(ns), name="reader")
    try:
        return await parts.online.snapshot()
    finally:
        await parts.close()


def test_three_workers_one_killed_equal_a_clean_replay(
    tmp_path: Path, namespace: Namespace
) -> None:
    messages = traffic(EVENTS)
    chunks = [messages[i : i + 50] for i in range(0, EVENTS, 50)]
    names = ["w0", "w1", "w2"]
    workers = {name: start_worker(namespace, name, tmp_path) for name in names}
    victim = workers["w0"]
    pending_at_kill = 0
    # The stream goes on in the background while one worker is caught and killed.
    streamer = threading.Thread(
        target=lambda: asyncio.run(append_all(namespace, chunks, pause=0.1)), daemon=True
    )
    try:
        wait_until_all_hold_leases(namespace, names)
        streamer.start()
        while archive_counts(namespace)[0] < EVENTS // 4:
            time.sleep(0.05)
        # Catch the victim holding entries it read and has not acknowledged, then kill it.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and streamer.is_alive():
            victim.send_signal(signal.SIGSTOP)
            pending_at_kill = pending_of(namespace, "w0")
            if pending_at_kill:
                break
            victim.send_signal(signal.SIGCONT)
            time.sleep(0.003)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        assert pending_at_kill > 0, "the victim never held pending entries"
        streamer.join(timeout=60)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if archive_counts(namespace)[0] == EVENTS and pending_of(namespace) == 0:
                break
            time.sleep(0.2)
    finally:
        for process in workers.values():
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)
                process.terminate()
                process.wait(timeout=20)

    rows, distinct = archive_counts(namespace)
    assert (rows, distinct) == (EVENTS, EVENTS), "an event was lost or archived twice"
    assert pending_of(namespace) == 0
    assert pending_of(namespace, "w0") == 0, "the dead worker's entries were never claimed"
    claimed = "".join((tmp_path / f"{n}.log").read_text() for n in names[1:])
    assert "claimed" in claimed

    state = asyncio.run(snapshot_of(namespace))  # keys named without the prefix
    with scaleout_namespace() as clean:
        replay = asyncio.run(replay_with_one_worker(clean, messages))
    assert state == replay
    shopper_events = sum(int(v["events"]) for k, v in state.items() if k.startswith("prof:"))  # type: ignore[index]
    assert shopper_events == EVENTS  # every event of this traffic is about a shopper, once
