"""Stream processing: events per second through every processor, against decode-only.

A million real events (``../shared/data``: every UCI Online Retail invoice as one
``Order Completed``, then the Taobao slice played again and again with fresh shoppers and
later times, see ``shopstream.simulate``) are parsed as the collector parses them and written
to a fresh SQLite event log with the product's schema. That is not timed. Then, one thread,
in the same run and with the garbage collector set as ``shopstream serve`` sets it:

- read: the log read in the consumer's slices of 500 (``SQLiteEventLog.read``);
- decode (the floor): the same, plus decoding every record as the consumer does
  (``record.message``);
- live state: ``Consumer.catch_up`` itself feeding a ``LiveState`` (catalog, identity graph,
  profiles);
- every processor: the same loop feeding what the engine's consumer feeds in the server (the
  live state and its views of the stream, the recommender, trends), snapshots left out.

Memory: the process's RSS growth while the state is built, divided by the profiles it
holds, a breakdown of the live objects by part (profiles, identity graph, catalog, and the
engine's other processors; a walk of every object reachable from each, each counted once),
and the time and size of one snapshot of everything the consumer saves (it saves one every
50,000 events or 30 seconds).

    python benchmarks/process.py                    # 1,000,000 events
    python benchmarks/process.py --quick            # 100,000 events (CI)
    python benchmarks/process.py --log /tmp/plog    # keep the built log and reuse it next time
    python benchmarks/process.py --profile /tmp/process.prof   # cProfile the process pass
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import math
import os
import pstats
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime
from itertools import chain, islice
from pathlib import Path
from types import BuiltinFunctionType, FunctionType, MethodType, ModuleType
from typing import Any

from tqdm import tqdm

from _common import HERE, table, write_result
from shopstream.core import Offset
from shopstream.engine import Engine
from shopstream.events import Message, message_to_json, parse_message
from shopstream.log import Consumer, Processor
from shopstream.profiles.live import LiveState
from shopstream.settings import Settings
from shopstream.simulate import (
    ONLINE_RETAIL_DIR,
    TAOBAO_FILE,
    online_retail_events,
    repeat,
    taobao_events,
)
from shopstream.storage.sqlite import SQLiteIdentityIndex
from shopstream.storage.sqlite.log import _SCHEMA, SQLiteEventLog, connect

DATA = HERE.parent.parent / "shared" / "data"
SOURCE = "bench"
SLICE = 500  # the consumer's slice
CHUNK = 2_000  # events per parse job while building the log
STREAM_VERSION = 1  # bump when the stream or the logged form changes
AIM_EVENTS = 50_000
AIM_BYTES_PER_PROFILE = 1_500


# -- the stream and the log (not timed) -----------------------------------------------------


def stream(data: Path, events: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(dataset, raw event)``: every Online Retail invoice, then Taobao passes up to ``events``."""
    retail = (("online-retail", e) for e in online_retail_events(data / ONLINE_RETAIL_DIR))
    taobao = (("taobao", e) for e in repeat(lambda: taobao_events(data / TAOBAO_FILE)))
    return islice(chain(retail, taobao), events)


def _parse(chunk: list[dict[str, Any]]) -> list[tuple[str, str, bytes]]:
    """Parse as the collector does; the event's own time stands for its arrival (a replay)."""
    rows = []
    for raw in chunk:
        message = parse_message(
            raw, source=SOURCE, received_at=datetime.fromisoformat(raw["timestamp"])
        )
        rows.append((SOURCE, message.message_id or "", message_to_json(message)))
    return rows


def build_log(data: Path, events: int, directory: Path, workers: int) -> dict[str, Any]:
    """Write the stream's events to ``directory/events.db``; returns the stream's description."""
    spec = {"version": STREAM_VERSION, "events": events, "data": str(data.resolve())}
    meta = directory / "stream.json"
    if meta.exists() and json.loads(meta.read_text()).get("spec") == spec:
        described: dict[str, Any] = json.loads(meta.read_text())
        print(f"reusing the log in {directory}")
        return described
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("events.db*"):
        stale.unlink()
    conn = connect(directory / "events.db", fsync="normal")
    conn.executescript(_SCHEMA)
    conn.execute("PRAGMA synchronous=OFF")
    insert = "INSERT INTO events (source, message_id, payload) VALUES (?, ?, ?)"
    counts: dict[str, int] = {}
    first_offset: dict[str, int] = {}
    written, payload_bytes = 0, 0
    pending: deque[Future[list[tuple[str, str, bytes]]]] = deque()

    def drain(future: Future[list[tuple[str, str, bytes]]]) -> None:
        nonlocal written, payload_bytes
        rows = future.result()
        with conn:
            conn.executemany(insert, rows)
        written += len(rows)
        payload_bytes += sum(len(row[2]) for row in rows)
        bar.update(len(rows))

    with (
        ProcessPoolExecutor(workers) as pool,
        tqdm(total=events, desc="building the log", unit="ev", unit_scale=True) as bar,
    ):
        chunk: list[dict[str, Any]] = []
        for index, (dataset, raw) in enumerate(stream(data, events)):
            if dataset not in counts:
                first_offset[dataset] = index + 1
            counts[dataset] = counts.get(dataset, 0) + 1
            chunk.append(raw)
            if len(chunk) == CHUNK:
                pending.append(pool.submit(_parse, chunk))
                chunk = []
                while len(pending) > 2 * workers:
                    drain(pending.popleft())
        if chunk:
            pending.append(pool.submit(_parse, chunk))
        while pending:
            drain(pending.popleft())
    conn.close()
    described = {
        "spec": spec,
        "datasets": {name: {"events": n, "first_offset": first_offset[name]} for name, n in counts.items()},
        "payload_bytes_mean": round(payload_bytes / max(written, 1)),
    }  # fmt: skip
    meta.write_text(json.dumps(described, indent=2))
    return described


# -- the timed passes -----------------------------------------------------------------------


class _Timing:
    """Times one pass over the log: wall and CPU time, per dataset, and the garbage collector."""

    def __init__(self, label: str, total: int, boundaries: dict[str, int]) -> None:
        self.label, self.total = label, total
        self.edges = sorted((offset, name) for name, offset in boundaries.items())
        self.marks: list[tuple[int, float]] = []
        self.gc_seconds, self.gc_collections, self._gc_start = 0.0, 0, 0.0

    def __enter__(self) -> _Timing:
        self.bar = tqdm(total=self.total, desc=self.label, unit="ev", unit_scale=True, leave=False)
        gc.callbacks.append(self._gc)
        self.cpu0, self.start = time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *_: object) -> None:
        self.elapsed = time.perf_counter() - self.start
        self.cpu = time.process_time() - self.cpu0
        gc.callbacks.remove(self._gc)
        self.bar.close()

    def mark(self, offset: int, count: int) -> None:
        """``count`` more events done, up to ``offset``."""
        self.marks.append((offset, time.perf_counter()))
        self.bar.update(count)

    def _gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_start = time.perf_counter()
        else:
            self.gc_seconds += time.perf_counter() - self._gc_start
            self.gc_collections += 1

    def figures(self) -> dict[str, Any]:
        by_dataset: dict[str, dict[str, Any]] = {}
        ends = [*self.edges[1:], (self.total + 1, "")]
        for (first, name), (nxt, _) in zip(self.edges, ends, strict=True):
            t0 = max((t for o, t in self.marks if o < first), default=self.start)
            t1 = max((t for o, t in self.marks if o < nxt), default=self.start)
            by_dataset[name] = _rate(nxt - first, t1 - t0)
        return {
            **_rate(self.total, self.elapsed),
            "cpu_s": round(self.cpu, 2),
            "events_per_cpu_s": round(self.total / self.cpu) if self.cpu > 0 else 0,
            "gc_s": round(self.gc_seconds, 2),
            "gc_collections": self.gc_collections,
            "by_dataset": by_dataset,
        }


def _rate(events: int, seconds: float) -> dict[str, Any]:
    return {
        "events": events,
        "seconds": round(seconds, 3),
        "events_per_s": round(events / seconds) if seconds > 0 else 0,
        "us_per_event": round(seconds / events * 1e6, 2) if events else 0.0,
    }


async def read_pass(timing: _Timing, log: SQLiteEventLog, *, decode: bool) -> None:
    """Read the log in the consumer's slices, the way it reads; decode each record or not."""
    with timing:
        after = Offset(0)
        while records := await log.read(after, SLICE):
            if decode:
                for record in records:
                    _ = record.message  # what the consumer does to each record
            after = records[-1].offset
            timing.mark(after, len(records))


class _Discard:
    """A state store that keeps nothing: the snapshot's cost is measured on its own."""

    async def save(self, name: str, offset: Offset, state: bytes) -> None:
        return None

    async def load(self, name: str) -> tuple[Offset, bytes] | None:
        return None


class _Timed:
    """A processor as the consumer sees it, marking progress after each slice."""

    def __init__(self, processor: Processor, timing: _Timing) -> None:
        self.processor, self.timing, self.name = processor, timing, processor.name

    @property
    def offset(self) -> Offset:
        return self.processor.offset

    def apply(self, events: Iterable[tuple[Offset, Message]]) -> None:
        before = self.processor.offset
        self.processor.apply(events)
        self.timing.mark(self.processor.offset, self.processor.offset - before)

    def dump(self) -> bytes:
        return self.processor.dump()

    def load(self, state: bytes) -> None:
        self.processor.load(state)


async def process_pass(timing: _Timing, log: SQLiteEventLog, processor: Processor) -> None:
    """The consumer's own loop (``Consumer.catch_up``) applying the log to ``processor``."""
    consumer = Consumer(
        log, _Timed(processor, timing), _Discard(),
        save_every_events=sys.maxsize, save_every_seconds=math.inf,
    )  # fmt: skip
    with timing:
        await consumer.catch_up()


# -- memory ---------------------------------------------------------------------------------


def rss_bytes() -> int:
    """Resident set size now."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


_SHARED = (type, ModuleType, FunctionType, MethodType, BuiltinFunctionType)


def deep_sizes(parts: dict[str, object]) -> dict[str, int]:
    """Bytes of the objects reachable from each part, each object counted once, in order.

    Classes, modules, functions and bound methods (the profiles' catalog lookup) are wiring,
    not state, and are not followed.
    """
    seen: set[int] = set()
    sizes: dict[str, int] = {}
    for name, root in parts.items():
        size, stack = 0, [root]
        while stack:
            obj = stack.pop()
            if id(obj) in seen or isinstance(obj, _SHARED):
                continue
            seen.add(id(obj))
            size += sys.getsizeof(obj)
            stack.extend(gc.get_referents(obj))
        sizes[name] = size
    return sizes


# -- the run --------------------------------------------------------------------------------


def run(args: argparse.Namespace, directory: Path) -> dict[str, Any]:
    described = build_log(args.data, args.events, directory, args.workers)
    return asyncio.run(measure(args, directory, described))


async def measure(
    args: argparse.Namespace, directory: Path, described: dict[str, Any]
) -> dict[str, Any]:
    boundaries = {name: d["first_offset"] for name, d in described["datasets"].items()}
    with sqlite3.connect(directory / "events.db") as conn:
        count = int(conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    # As `shopstream serve` runs (cli.run_app): what exists at start is frozen out of the
    # collector's passes, and young collections run every 10,000 allocations.
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
    log = SQLiteEventLog(directory / "events.db", fsync="normal")
    scratch = Path(tempfile.mkdtemp(prefix="shopstream-process-index-"))
    index = SQLiteIdentityIndex(scratch / "index.db", directory / "events.db")
    try:
        await read_pass(_Timing("warming the page cache", count, boundaries), log, decode=False)
        read = _Timing("read", count, boundaries)
        await read_pass(read, log, decode=False)
        decode = _Timing("read + decode", count, boundaries)
        await read_pass(decode, log, decode=True)
        # The live state alone (catalog, identity, profiles), then as the engine runs it.
        gc.collect()
        rss_before = rss_bytes()
        bare = _Timing("read + decode + live state", count, boundaries)
        alone = LiveState(index.history)
        await process_pass(bare, log, alone)
        gc.collect()
        rss_after = rss_bytes()
        del alone
        gc.unfreeze()  # what the consumer froze of it: let it go
        gc.collect()
        engine = Engine(Settings(data_dir=directory), log, _Discard(), index)
        everything = engine.consumer.processor  # what the server's consumer feeds
        processed = _Timing("read + decode + every processor", count, boundaries)
        profiler = cProfile.Profile() if args.profile else None
        if profiler is not None:
            profiler.enable()
        await process_pass(processed, log, everything)
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
        gc.collect()
        peak = peak_rss_bytes()
        started = time.perf_counter()
        snapshot = everything.dump()
        dump_s = time.perf_counter() - started
        live = engine.live
        profiles, customers, products = len(live.profiles), len(live.graph), len(live.catalog)
        parts: dict[str, object] = {
            "profiles": live.profiles,
            "identity": live.graph,
            "catalog": live.catalog,
        }
        # The engine's other processors and views, whichever it has.
        for name in ("recommender", "live_trends", "decide_state", "activity", "presence"):
            if hasattr(engine, name):
                parts[name] = getattr(engine, name)
        sizes = deep_sizes(parts)
    finally:
        await log.close()
        index.close()
        shutil.rmtree(scratch, ignore_errors=True)
    read_figures, decode_figures = read.figures(), decode.figures()
    bare_figures, processed_figures = bare.figures(), processed.figures()
    state_bytes = rss_after - rss_before
    return {
        "quick": args.quick,
        "events": count,
        "slice": SLICE,
        "payload_bytes_mean": described["payload_bytes_mean"],
        "datasets": described["datasets"],
        "aim": {"events_per_s": AIM_EVENTS, "bytes_per_profile": AIM_BYTES_PER_PROFILE},
        "gc": "as shopstream serve: gc.freeze() at start, gc.set_threshold(10_000, 10, 10)",
        "read": read_figures,
        "decode": decode_figures,
        "live_state": bare_figures,
        "process": processed_figures,
        "process_to_decode": round(
            processed_figures["events_per_s"] / decode_figures["events_per_s"], 3
        ),
        "state": {
            "profiles": profiles,
            "customers": customers,
            "products": products,
            "rss_growth_bytes": state_bytes,
            "rss_bytes_per_profile": round(state_bytes / max(profiles, 1)),
            "peak_rss_bytes": peak,
            "objects_bytes": sizes,
            "objects_bytes_per_profile": {
                name: round(size / max(profiles, 1)) for name, size in sizes.items()
            },
            "snapshot_bytes": len(snapshot),
            "snapshot_dump_s": round(dump_s, 3),
            "snapshot_us_per_event_at_50k": round(dump_s / 50_000 * 1e6, 2),
        },
    }


def report(result: dict[str, Any]) -> None:
    def n(value: float) -> str:
        return f"{value:,.0f}"

    decode = result["decode"]["events_per_s"]
    rows = [["pass", "dataset", "events", "events/s", "µs/event", "× decode", "gc µs/event",
             "events/CPU-s"]]  # fmt: skip
    for key, label in (("read", "read"), ("decode", "read + decode (floor)"),
                       ("live_state", "+ live state (catalog, identity, profiles)"),
                       ("process", "+ every processor the server runs")):  # fmt: skip
        figures = result[key]
        gc_us = figures["gc_s"] / figures["events"] * 1e6
        rows.append([label, "all", n(figures["events"]), n(figures["events_per_s"]),
                     f"{figures['us_per_event']:.2f}", f"{figures['events_per_s'] / decode:.2f}",
                     f"{gc_us:.2f}", n(figures["events_per_cpu_s"])])  # fmt: skip
        for name, part in figures["by_dataset"].items():
            floor = result["decode"]["by_dataset"][name]["events_per_s"]
            rows.append(["", name, n(part["events"]), n(part["events_per_s"]),
                         f"{part['us_per_event']:.2f}", f"{part['events_per_s'] / floor:.2f}", "", ""])  # fmt: skip
    print(f"\n{n(result['events'])} events ({result['payload_bytes_mean']} bytes each on average), "
          f"slices of {result['slice']}, one thread")  # fmt: skip
    print(table(rows))
    state = result["state"]
    per = state["objects_bytes_per_profile"]
    print(
        f"\nstate: {n(state['profiles'])} profiles, {n(state['customers'])} customers, "
        f"{n(state['products'])} products; the live state grew RSS by "
        f"{state['rss_growth_bytes'] / 2**20:,.0f} MiB = {n(state['rss_bytes_per_profile'])} B "
        f"per profile (peak RSS {state['peak_rss_bytes'] / 2**20:,.0f} MiB)"
    )
    print("objects per profile: " + ", ".join(f"{name} {n(size)} B" for name, size in per.items()))
    print(
        f"snapshot: {state['snapshot_bytes'] / 2**20:,.1f} MiB in {state['snapshot_dump_s']:.2f} s "
        f"(= {state['snapshot_us_per_event_at_50k']:.2f} µs/event when saved every 50,000 events)"
    )
    aim = result["aim"]["events_per_s"]
    print()
    for key, label in (("live_state", "live state"), ("process", "every processor")):
        figures = result[key]
        per_cpu = figures["events_per_cpu_s"]
        print(
            f"{label}: {n(figures['events_per_s'])} events/s, {n(per_cpu)} per CPU-second "
            f"= {figures['events_per_s'] / decode:.2f}× decode-only; aim {n(aim)} a core: "
            f"{'met' if per_cpu >= aim else 'NOT met'}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 events (CI)")
    parser.add_argument("--events", type=int, help="events to replay [1,000,000; quick: 100,000]")
    parser.add_argument("--data", type=Path, default=DATA, help=f"shared data [{DATA}]")
    parser.add_argument(
        "--log", type=Path, help="build the log here and keep it (reused if it matches)"
    )
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="parsers while building"
    )
    parser.add_argument("--cpu", type=int, help="pin the timed passes to this CPU")
    parser.add_argument("--profile", type=Path, help="cProfile the process pass into this file")
    parser.add_argument("--out", type=Path, help="JSON path [results/process.json]")
    args = parser.parse_args()
    args.events = args.events or (100_000 if args.quick else 1_000_000)
    if args.log is not None:
        result = run(args, args.log)
    else:
        directory = Path(tempfile.mkdtemp(prefix="shopstream-process-"))
        try:
            result = run(args, directory)
        finally:
            shutil.rmtree(directory, ignore_errors=True)
    report(result)
    if args.profile:
        print(f"\ncProfile of the process pass: {args.profile}")
        pstats.Stats(str(args.profile)).sort_stats("tottime").print_stats(20)
    print(f"wrote {write_result('process', result, args.out)}")


if __name__ == "__main__":
    main()
