"""Durable batch ingest: events per second accepted through ``/v1/batch``.

Four clients on loopback each send requests of 100 realistic e-commerce events (the
``EventFactory`` mix, every event with a fresh ``messageId``) as Segment's SDKs do, with the
write key in HTTP Basic auth, one request at a time per keep-alive connection. An event counts
once its request is answered 200, which the server does only after the events are committed
(by the fsync policy). Measured in the same run:

- the framework's floor: the same requests to an empty endpoint of the same server (it reads
  the body and answers ``{"success": true}``; see ``_server.py``);
- the storage floor: the same rows (source, messageId, logged JSON) inserted 100 per
  transaction into a fresh SQLite file with the event log's schema, pragmas and fsync, in one
  thread with nothing else running.

The server is the whole product, as ``shopstream serve`` runs it: the live state (identity,
profiles, catalog) follows the log on the same event loop and the identity index in a thread,
so they share the server's core with ingestion. How far the live state trailed the log when
the load stopped, and how long it took to catch up, are reported with the figure.

The server runs as ``shopstream serve`` does on this machine: on two CPUs or more it collects
in a collector process (``shopstream.log.remote``) beside the process that applies events and
answers reads, and nothing is pinned; the load generator (asyncio over raw HTTP/1.1
keep-alive connections, so it stays cheap) shares the machine. With ``--pin`` the server
(which then sees one CPU, so collects in its own process) is pinned to CPU 0 and the load to
CPU 1: the one-core figure. The server's CPU (its child processes' included), the client's,
and the CPU anything else used meanwhile are reported; "other" should be near 0.

    python benchmarks/ingest.py                 # 10 s per figure, fsync=full
    python benchmarks/ingest.py --pin           # the server on one core
    python benchmarks/ingest.py --collectors 2  # two collector processes
    python benchmarks/ingest.py --fsync full,normal
    python benchmarks/ingest.py --quick         # 2 s per figure (CI)
    python benchmarks/ingest.py --profile /tmp/ingest.txt  # py-spy the server during /v1/batch
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

from _common import BenchServer, EventFactory, machine_cpu, percentile, table, write_result
from shopstream.events import message_to_json, parse_message
from shopstream.storage.sqlite.log import _SCHEMA, connect

BATCH = 100
TEMPLATES = 16  # distinct request bodies; every sent event still gets its own messageId
PLACEHOLDER = b"RRRRRRRRRRRR"  # 12 bytes, rewritten per request with client and sequence
SOURCE = "bench"
AIM_EVENTS = 25_000
AIM_RATIO = 0.5


# -- the server -----------------------------------------------------------------------------


# -- the load -------------------------------------------------------------------------------


class Bodies:
    """Request bodies of ``BATCH`` events whose messageIds are unique per (client, sequence)."""

    def __init__(self, seed: int = 7) -> None:
        factory = EventFactory(seed)
        self.batches = [
            factory.batch(BATCH, f"ajs-next-{PLACEHOLDER.decode()}-{t:02d}{{i:03d}}")
            for t in range(TEMPLATES)
        ]
        sent_at = datetime(2025, 11, 20, 18, 31, tzinfo=UTC).isoformat().replace("+00:00", "Z")
        self.templates = [orjson.dumps({"batch": b, "sentAt": sent_at}) for b in self.batches]
        sizes = [len(orjson.dumps(e)) for b in self.batches for e in b]
        self.event_bytes = sum(sizes) / len(sizes)
        self.request_bytes = sum(len(t) for t in self.templates) / len(self.templates)
        self._logged: list[list[tuple[str, bytes]]] = []

    def body(self, client: int, seq: int) -> bytes:
        return self.templates[seq % TEMPLATES].replace(PLACEHOLDER, b"%02d%010d" % (client, seq))

    def rows(self, start: int, count: int) -> list[list[tuple[str, str, bytes]]]:
        """``count`` batches of the rows the server would store, as the raw SQLite floor takes."""
        if not self._logged:
            received = datetime.now(UTC)
            self._logged = [
                [
                    (m.message_id or "", message_to_json(m))
                    for m in (parse_message(e, source=SOURCE, received_at=received) for e in batch)
                ]
                for batch in self.batches
            ]
        out = []
        for seq in range(start, start + count):
            tag = f"{99:02d}{seq:010d}"
            out.append(
                [
                    (SOURCE, mid.replace(PLACEHOLDER.decode(), tag), payload)
                    for mid, payload in self._logged[seq % TEMPLATES]
                ]
            )
        return out


@dataclass
class Phase:
    """One timed figure: requests answered inside [start, end) are counted."""

    start: float
    end: float
    latencies: list[float] = field(default_factory=list)
    answered: int = 0  # every 200 answer of the phase, warm-up included


async def _client(
    port: int, path: str, auth: str, bodies: Bodies, client: int, first_seq: int, phase: Phase
) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Basic {auth}\r\n"
        "Content-Type: application/json\r\nUser-Agent: shopstream-bench\r\n"
    ).encode()
    seq = first_seq
    try:
        while True:
            body = bodies.body(client, seq)
            seq += 1
            sent = time.perf_counter()
            if sent >= phase.end:
                return seq
            writer.write(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
            await writer.drain()
            status_line, _, headers = (await reader.readuntil(b"\r\n\r\n")).partition(b"\r\n")
            length = 0
            for line in headers.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            answer = await reader.readexactly(length)
            done = time.perf_counter()
            if status_line.split(b" ", 2)[1] != b"200":
                msg = f"{path} answered {status_line.decode()}: {answer[:500].decode()}"
                raise RuntimeError(msg)
            phase.answered += 1
            if phase.start <= sent and done < phase.end:
                phase.latencies.append(done - sent)
    finally:
        writer.close()


async def _load(
    port: int, path: str, bodies: Bodies, clients: int, warmup: float, duration: float, seq: int
) -> Phase:
    auth = base64.b64encode(b"wk_bench:").decode()
    now = time.perf_counter()
    phase = Phase(start=now + warmup, end=now + warmup + duration)
    await asyncio.gather(
        *(_client(port, path, auth, bodies, c, seq, phase) for c in range(clients))
    )
    return phase


def run_load(
    server: BenchServer,
    path: str,
    bodies: Bodies,
    args: argparse.Namespace,
    seq: int,
    profile: Path | None = None,
) -> dict[str, Any]:
    """Warm up, then measure ``path`` for ``args.duration`` seconds."""
    run = _uvloop_run()
    holder: dict[str, float] = {}

    async def measured() -> Phase:
        task = asyncio.ensure_future(
            _load(server.port, path, bodies, args.clients, args.warmup, args.duration, seq)
        )
        await asyncio.sleep(args.warmup)
        holder["server"] = server.cpu_seconds()
        holder["client"] = time.process_time()
        holder["machine"], holder["steal"] = machine_cpu()
        spy = _py_spy(server, profile, args.duration) if profile else None
        phase = await task
        holder["server"] = server.cpu_seconds() - holder["server"]
        holder["client"] = time.process_time() - holder["client"]
        busy, steal = machine_cpu()
        holder["machine"] = busy - holder["machine"]
        holder["steal"] = steal - holder["steal"]
        if spy is not None:
            spy.wait()
        return phase

    phase = run(measured())
    requests = len(phase.latencies)
    window = phase.end - phase.start
    return {
        "events_per_s": round(requests * BATCH / window),
        "requests_per_s": round(requests / window, 1),
        "requests": requests,
        "p50_ms": round(percentile(phase.latencies, 50) * 1000, 2),
        "p99_ms": round(percentile(phase.latencies, 99) * 1000, 2),
        "server_cpu": round(holder["server"] / window, 2),
        "client_cpu": round(holder["client"] / window, 2),
        "server_cpu_us_per_event": round(holder["server"] / max(requests * BATCH, 1) * 1e6, 1),
        # CPU others used meanwhile (py-spy included), and time stolen by the hypervisor:
        # both should be near 0 for figures worth keeping.
        "other_cpu": round((holder["machine"] - holder["server"] - holder["client"]) / window, 2),
        "steal_cpu": round(holder["steal"] / window, 2),
        "answered": phase.answered,
    }


def _uvloop_run() -> Any:
    try:
        import uvloop
    except ImportError:
        return asyncio.run
    return uvloop.run


def _py_spy(server: BenchServer, out: Path, duration: float) -> subprocess.Popen[bytes]:
    spy = shutil.which("py-spy")
    if spy is None:
        sys.exit("--profile needs py-spy: pip install py-spy")
    assert server.process is not None
    fmt = "speedscope" if out.suffix == ".json" else "raw"
    command = [
        spy, "record", "--pid", str(server.process.pid), "--duration", str(int(duration)),
        "--rate", "250", "--threads", "--nonblocking", "--format", fmt,
        "--output", str(out),
    ]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def consumer_lag(server: BenchServer, timeout: float = 300.0) -> dict[str, Any]:
    """How far the live state (profiles, identity) trailed the log when the load stopped.

    It shares the server's core with ingestion; the time it then takes to catch up says how
    much of the accepted rate it could not follow.
    """
    started = time.perf_counter()
    state = httpx.get(server.url + "/bench/state").json()
    lag = state["appended"] - state["applied"]
    while state["applied"] < state["appended"] and time.perf_counter() - started < timeout:
        time.sleep(0.05)
        state = httpx.get(server.url + "/bench/state").json()
    return {
        "lag_events": lag,
        "catch_up_s": round(time.perf_counter() - started, 2),
        "caught_up": state["applied"] >= state["appended"],
    }


# -- the storage floor ----------------------------------------------------------------------


def sqlite_floor(bodies: Bodies, fsync: str, duration: float, workdir: Path) -> dict[str, Any]:
    """The same rows, 100 per transaction, into a fresh file; only insert + commit is timed."""
    path = workdir / f"raw-{fsync}.db"
    conn = connect(path, fsync=fsync)  # type: ignore[arg-type]
    conn.executescript(_SCHEMA)
    insert = "INSERT INTO events (source, message_id, payload) VALUES (?, ?, ?)"
    chunk = 50
    seq = 0
    spent = 0.0
    latencies: list[float] = []
    deadline = time.perf_counter() + duration
    while time.perf_counter() < deadline:
        for rows in bodies.rows(seq, chunk):
            started = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(insert, rows)
            conn.execute("COMMIT")
            took = time.perf_counter() - started
            spent += took
            latencies.append(took)
        seq += chunk
    stored = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    conn.close()
    assert stored == seq * BATCH, (stored, seq)
    return {
        "events_per_s": round(stored / spent),
        "transactions_per_s": round(len(latencies) / spent, 1),
        "transactions": len(latencies),
        "p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 99) * 1000, 2),
    }


# -- one fsync policy -----------------------------------------------------------------------


def measure(fsync: str, bodies: Bodies, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    data = workdir / f"data-{fsync}"
    server = BenchServer(
        data,
        write_key="wk_bench",
        source=SOURCE,
        extra_env={"SHOPSTREAM_FSYNC": fsync}
        | ({} if args.collectors is None else {"SHOPSTREAM_COLLECTORS": str(args.collectors)}),
        cpu=args.server_cpu,
    )
    with server:
        empty = run_load(server, "/bench/empty", bodies, args, seq=0)
        profile = args.profile.with_stem(f"{args.profile.stem}-{fsync}") if args.profile else None
        ingest = run_load(server, "/v1/batch", bodies, args, seq=10**8, profile=profile)
        ingest["consumer"] = consumer_lag(server)
    with sqlite3.connect(data / "events.db") as conn:
        stored = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    if stored != ingest["answered"] * BATCH:
        msg = f"the log holds {stored} events; {ingest['answered'] * BATCH} were acknowledged"
        raise RuntimeError(msg)
    raw = sqlite_floor(bodies, fsync, args.duration, workdir)
    return {
        "warnings": _warnings(ingest, empty, pinned=args.server_cpu is not None),
        "ingest": ingest,
        "empty_endpoint": empty,
        "raw_sqlite": raw,
        "ratio_to_empty": round(ingest["events_per_s"] / empty["events_per_s"], 3),
        "ratio_to_sqlite": round(ingest["events_per_s"] / raw["events_per_s"], 3),
        "stored": stored,
        "profile": str(profile) if profile else None,
    }


def _warnings(ingest: dict[str, Any], empty: dict[str, Any], *, pinned: bool) -> list[str]:
    """Why these figures may not be worth keeping."""
    found = []
    for name, r in (("/v1/batch", ingest), ("the empty endpoint", empty)):
        if r["other_cpu"] > 0.2:
            found.append(
                f"other processes used {r['other_cpu']:.2f} CPU during {name}: "
                "run on an idle machine"
            )
        if pinned and r["server_cpu"] < 0.9:
            found.append(
                f"the server used only {r['server_cpu']:.2f} CPU during {name}, so something "
                "else (the load generator, other processes, the disk) limited it"
            )
    return found


def report(fsync: str, result: dict[str, Any], args: argparse.Namespace) -> None:
    def n(value: float) -> str:
        return f"{value:,.0f}"

    rows = [["", "events/s", "req/s", "p50 ms", "p99 ms", "server CPU", "client CPU", "other CPU"]]
    for name, key in (("/v1/batch", "ingest"), ("empty endpoint", "empty_endpoint")):
        r = result[key]
        rows.append(
            [name, n(r["events_per_s"]), n(r["requests_per_s"]), f"{r['p50_ms']:.1f}",
             f"{r['p99_ms']:.1f}", f"{r['server_cpu']:.2f}", f"{r['client_cpu']:.2f}",
             f"{r['other_cpu']:.2f}"]
        )  # fmt: skip
    raw = result["raw_sqlite"]
    rows.append(
        ["raw SQLite, 100/tx", n(raw["events_per_s"]), n(raw["transactions_per_s"]),
         f"{raw['p50_ms']:.1f}", f"{raw['p99_ms']:.1f}", "", "", ""]
    )  # fmt: skip
    print(f"\nfsync={fsync}: {args.clients} clients x {BATCH} events/request, loopback, "
          f"{args.duration:g} s each after {args.warmup:g} s warm-up")  # fmt: skip
    print(table(rows))
    ingest = result["ingest"]
    print(
        f"/v1/batch: {n(ingest['events_per_s'])} ev/s = {result['ratio_to_empty']:.2f}x empty "
        f"endpoint, {result['ratio_to_sqlite']:.2f}x raw SQLite; "
        f"server {ingest['server_cpu_us_per_event']:.1f} µs CPU per event"
    )
    consumer = ingest["consumer"]
    print(
        f"live state (profiles, identity) {consumer['lag_events']:,} events behind the log when "
        f"the load stopped; caught up in {consumer['catch_up_s']:.1f} s"
    )
    for warning in result["warnings"]:
        print(f"warning: {warning}")
    met = ingest["events_per_s"] >= AIM_EVENTS and result["ratio_to_empty"] >= AIM_RATIO
    print(f"aim ({AIM_EVENTS:,} ev/s and {AIM_RATIO}x empty): {'met' if met else 'not met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 s per figure (CI)")
    parser.add_argument("--duration", type=float, help="seconds per figure [10; quick: 2]")
    parser.add_argument("--warmup", type=float, help="seconds before each [2; quick: 0.5]")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--fsync", default="full", help="policies to run: full, normal or both")
    parser.add_argument("--pin", action="store_true", help="server on CPU 0, load on CPU 1")
    parser.add_argument(
        "--collectors", type=int, help="collector processes [as serve decides on this machine]"
    )
    parser.add_argument("--profile", type=Path, help="py-spy the server during /v1/batch")
    parser.add_argument("--out", type=Path, help="JSON path [results/ingest.json]")
    args = parser.parse_args()
    args.duration = args.duration or (2.0 if args.quick else 10.0)
    args.warmup = args.warmup if args.warmup is not None else (0.5 if args.quick else 2.0)
    policies = [p.strip() for p in args.fsync.split(",") if p.strip()]
    cpus = sorted(os.sched_getaffinity(0))
    args.server_cpu = cpus[0] if args.pin and len(cpus) >= 2 else None
    if args.server_cpu is not None:
        os.sched_setaffinity(0, {cpus[1]})  # the load generator and the SQLite floor

    bodies = Bodies()
    print(
        f"events: {bodies.event_bytes:,.0f} bytes on average, "
        f"{bodies.request_bytes / 1024:,.0f} KiB per request"
    )
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="shopstream-ingest-") as tmp:
        for fsync in policies:
            results[fsync] = measure(fsync, bodies, args, Path(tmp))
            report(fsync, results[fsync], args)
    path = write_result(
        "ingest",
        {
            "quick": args.quick,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "clients": args.clients,
            "events_per_request": BATCH,
            "event_bytes_mean": round(bodies.event_bytes),
            "request_bytes_mean": round(bodies.request_bytes),
            "collectors": "as serve decides" if args.collectors is None else args.collectors,
            "server_cpu": args.server_cpu,
            "client_cpu": cpus[1] if args.server_cpu is not None else None,
            "aim": {"events_per_s": AIM_EVENTS, "ratio_to_empty": AIM_RATIO},
            "fsync": results,
        },
        args.out,
    )
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
