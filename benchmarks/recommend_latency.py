"""Recommendations over HTTP: p50 and p99 of ``POST /v1/recommendations`` at 500 requests/s.

A real server (``_server.py``: the app exactly as ``shopstream serve`` runs it, with the
embeddings extra if installed) is first given realistic state through its public API: the
simulated retailer (``shopstream.simulate``: 5,000 products, 4 stores with zones, stock)
and the events of 3,000 simulated shoppers over several days (views, clicks, carts,
orders, store visits: 80,000 events through ``/v1/batch``). Measuring starts once the live
state has applied every event, the product texts are embedded (and every product's nearest
neighbours tabulated) and EASE has been trained on the live interactions in the background.

Then requests leave on a fixed schedule (open loop: a request is sent when it is due,
whether or not earlier ones were answered, on a free keep-alive connection or a new one),
at ``--rate`` per second for ``--duration`` seconds:

- the baseline: an empty endpoint of the same server (``POST /bench/empty``: reads the body,
  answers a small JSON), the same bodies, the same rate;
- then ``POST /v1/recommendations`` (server key): simulated shoppers by their anonymous or
  user id, and 5% never seen; placements home 40%, product 35% (a random product as the
  anchor, so cold ones too), cart 10%, associate 10% and email 5%, half of them with a store.

Latency is from the request's due time to its last byte (so a late send counts against the
server), by a lean asyncio HTTP/1.1 client. The server is pinned to CPU 0, the client to
CPU 1; the CPU each used, and anything else, is reported.

    python benchmarks/recommend_latency.py            # 60 s per phase at 500 requests/s
    python benchmarks/recommend_latency.py --quick    # 5 s per phase, a smaller world (CI)
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from tqdm import tqdm

from _common import BenchServer, machine_cpu, percentile, table, write_result
from shopstream.demo import seed
from shopstream.sender import Sender
from shopstream.simulate import Simulator, generate_catalogue, generate_shoppers, shift

AIM_P99_MS = 10.0
SEED = 11
PLACEMENTS = (("home", 40), ("product", 35), ("cart", 10), ("associate", 10), ("email", 5))


@dataclass
class World:
    """What the requests are drawn from."""

    shoppers: list[tuple[str, str]]  # (identifier type, id)
    products: list[str]
    stores: list[str]
    events: int


@dataclass
class Phase:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    empty_answers: int = 0
    late_sends: int = 0
    connections: int = 0
    start: float = 0.0
    end: float = 0.0


# -- the state --------------------------------------------------------------------------------


def build_world(server: BenchServer, args: argparse.Namespace) -> World:
    """Load the retailer and the shoppers' events; wait until the server has digested them."""
    catalogue = generate_catalogue(SEED, products=args.products)
    seed(server.url, server.admin_key, catalogue)
    crowd = generate_shoppers(catalogue, args.shoppers, seed=SEED)
    start = datetime.now(UTC) - timedelta(days=args.days)
    simulated = Simulator(SEED, catalogue, crowd, start, speed=1.0).events()
    timed = list(itertools.islice(simulated, args.events))
    # Moved so that the last event is now: the trends' day window (per store too) is full.
    by = datetime.now(UTC) - timed[-1][0]
    events = [shift(raw, suffix="", by=by) for _, raw in timed]
    seen: dict[tuple[str, str], None] = {}
    for raw in events:
        if "userId" in raw:
            seen[("userId", raw["userId"])] = None
        elif "anonymousId" in raw:
            seen[("anonymousId", raw["anonymousId"])] = None
    with (
        Sender(server.url, server.write_key, batch_size=200) as sender,
        tqdm(total=len(events), unit=" events", desc="load shoppers' events") as bar,
    ):
        for begin in range(0, len(events), 1000):
            chunk = events[begin : begin + 1000]
            sender.send(chunk)
            bar.update(len(chunk))
    sent = len(events)
    wait_digested(server, timeout=args.settle_timeout)
    return World(
        shoppers=list(seen),
        products=[p.id for p in catalogue.products],
        stores=[s.id for s in catalogue.stores],
        events=sent,
    )


def wait_digested(server: BenchServer, timeout: float) -> dict[str, Any]:
    """Until every event is applied, every product text embedded and the neighbour table
    computed (when the extra is there) and EASE trained; the state it ended in."""
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=server.url, timeout=10.0) as http:
        while True:
            state = http.get("/bench/state").json()
            live = state["recommend"]
            done = (
                state["applied"] >= state["appended"]
                and live["applied"] >= state["appended"]
                and live["textsWaiting"] == 0
                and live["neighboursTabled"]
                and live["easeFitted"]
            )
            if done:
                return state
            if time.monotonic() > deadline:
                print(f"warning: not settled after {timeout:.0f} s: {state}")
                return state
            time.sleep(0.5)


# -- the load ---------------------------------------------------------------------------------


def bodies(world: World, count: int, rng: random.Random) -> list[bytes]:
    """``count`` request bodies drawn from the world (see the module docstring)."""
    names = [name for name, _ in PLACEMENTS]
    shares = [share for _, share in PLACEMENTS]
    found = []
    for i in range(count):
        placement = rng.choices(names, shares)[0]
        if rng.random() < 0.05:
            customer = {"type": "anonymousId", "id": f"never-seen-{i}"}
        else:
            kind, value = rng.choice(world.shoppers)
            customer = {"type": kind, "id": value}
        context: dict[str, str] = {}
        if placement == "product":
            context["productId"] = rng.choice(world.products)
        if placement == "associate" or rng.random() < 0.5:
            context["storeId"] = rng.choice(world.stores)
        body = {"customer": customer, "placement": placement, "context": context, "limit": 10}
        found.append(orjson.dumps(body))
    return found


class Connections:
    """Keep-alive HTTP/1.1 connections to the server: a free one, or a new one."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.free: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.opened = 0

    async def take(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.free:
            return self.free.pop()
        return await self.open()

    async def open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        self.opened += 1
        return await asyncio.open_connection("127.0.0.1", self.port)

    def give(self, connection: tuple[asyncio.StreamReader, asyncio.StreamWriter]) -> None:
        self.free.append(connection)

    def close(self) -> None:
        for _, writer in self.free:
            writer.close()


async def request(
    pool: Connections, head: bytes, body: bytes, due: float, phase: Phase, measured: bool
) -> None:
    message = head + str(len(body)).encode() + b"\r\n\r\n" + body
    for attempt in (1, 2):
        # A kept-alive connection the server closed while idle (uvicorn: after 5 s) answers
        # nothing: send again on a new one; the latency, taken from ``due``, includes it.
        connection = await pool.take() if attempt == 1 else await pool.open()
        reader, writer = connection
        try:
            writer.write(message)
            status_line = await reader.readline()
        except ConnectionError:
            status_line = b""
        if status_line:
            break
        writer.close()
    else:
        if measured:
            phase.statuses[0] += 1  # no answer at all: counted, shown as status 0
        return
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    payload = await reader.readexactly(length)
    done = time.monotonic()
    pool.give(connection)
    if not measured:
        return
    status = int(status_line.split()[1])
    phase.statuses[status] += 1
    phase.latencies.append(done - due)
    if status == 200 and b'"items"' in payload:
        items = orjson.loads(payload)["items"]
        if not items:
            phase.empty_answers += 1
        for item in items:
            phase.reasons[reason_kind(item["reason"])] += 1


def reason_kind(reason: str) -> str:
    """A reason without the product or store it names: "viewed together with", ..."""
    for prefix in ("viewed together with", "bought together with", "similar to",
                   "trending in category", "trending in"):  # fmt: skip
        if reason.startswith(prefix):
            suffix = " (text embeddings)" if reason.endswith("(text embeddings)") else ""
            suffix = " (shared words)" if reason.endswith("(shared words)") else suffix
            return prefix + suffix
    return reason


async def load(
    port: int, path: str, auth: str, payloads: list[bytes], rate: float, warmup: float,
    duration: float,
) -> Phase:  # fmt: skip
    """Send ``payloads`` round-robin at ``rate`` a second, open loop."""
    phase = Phase()
    pool = Connections(port)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {auth}\r\n"
        "Content-Type: application/json\r\nContent-Length: "
    ).encode()
    interval = 1.0 / rate
    total = round((warmup + duration) * rate)
    first_measured = round(warmup * rate)
    pending: set[asyncio.Task[None]] = set()
    start = time.monotonic() + 0.05
    for index in range(total):
        due = start + index * interval
        now = time.monotonic()
        if due > now:
            await asyncio.sleep(due - now)
        elif now - due > interval:
            phase.late_sends += 1
        if index == first_measured:
            phase.start = due
        body = payloads[index % len(payloads)]
        task = asyncio.create_task(request(pool, head, body, due, phase, index >= first_measured))
        pending.add(task)
        task.add_done_callback(pending.discard)
    if pending:
        await asyncio.wait(pending)
    phase.end = time.monotonic()
    phase.connections = pool.opened
    pool.close()
    return phase


def measure(
    server: BenchServer, path: str, payloads: list[bytes], args: argparse.Namespace
) -> dict[str, Any]:
    async def run() -> tuple[Phase, dict[str, float]]:
        task = asyncio.ensure_future(
            load(server.port, path, server.server_key, payloads, args.rate, args.warmup,
                 args.duration)
        )  # fmt: skip
        await asyncio.sleep(args.warmup)
        cpu = {"server": server.cpu_seconds(), "client": time.process_time()}
        cpu["machine"], _ = machine_cpu()
        phase = await task
        cpu["server"] = server.cpu_seconds() - cpu["server"]
        cpu["client"] = time.process_time() - cpu["client"]
        cpu["machine"] = machine_cpu()[0] - cpu["machine"]
        return phase, cpu

    phase, cpu = asyncio.run(run())
    window = max(phase.end - phase.start, 1e-9)
    ms = [x * 1000 for x in phase.latencies]
    answered = sum(phase.statuses.values())
    return {
        "path": path,
        "requests": len(ms),
        "requests_per_s": round(len(ms) / window, 1),
        "p50_ms": round(percentile(ms, 50), 2),
        "p90_ms": round(percentile(ms, 90), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "max_ms": round(max(ms, default=0.0), 2),
        "statuses": {str(k): v for k, v in sorted(phase.statuses.items())},
        "empty_answers": phase.empty_answers,
        "reasons": dict(phase.reasons.most_common()),
        "late_sends": phase.late_sends,
        "connections": phase.connections,
        "server_cpu": round(cpu["server"] / window, 2),
        "client_cpu": round(cpu["client"] / window, 2),
        "other_cpu": round((cpu["machine"] - cpu["server"] - cpu["client"]) / window, 2),
        "answered": answered,
    }


# -- the report -------------------------------------------------------------------------------


def report(result: dict[str, Any]) -> None:
    empty, recs = result["empty_endpoint"], result["recommendations"]
    rows = [["endpoint", "p50 ms", "p90 ms", "p99 ms", "max ms", "req/s", "server CPU",
             "client CPU", "other CPU"]]  # fmt: skip
    for label, r in (("POST /bench/empty (baseline)", empty),
                     ("POST /v1/recommendations", recs)):  # fmt: skip
        rows.append([label, f"{r['p50_ms']:.2f}", f"{r['p90_ms']:.2f}", f"{r['p99_ms']:.2f}",
                     f"{r['max_ms']:.2f}", f"{r['requests_per_s']:.0f}", f"{r['server_cpu']:.2f}",
                     f"{r['client_cpu']:.2f}", f"{r['other_cpu']:.2f}"])  # fmt: skip
    world = result["world"]
    print(
        f"\n{result['rate']:.0f} requests/s for {result['duration_s']:.0f} s each, after "
        f"{world['events']:,} events of {world['shoppers']:,} shoppers on {world['products']:,} "
        f"products ({world['embedded']:,} embedded; EASE trained: {world['ease_fitted']})"
    )
    print(table(rows))
    p99 = recs["p99_ms"]
    print(
        f"\nrecommendations p99 {p99:.2f} ms = {result['p99_ratio_to_empty']:.1f}x the empty "
        f"endpoint (aim {AIM_P99_MS:.0f} ms: {'met' if p99 <= AIM_P99_MS else 'NOT met'}); "
        f"statuses {recs['statuses']}; {recs['empty_answers']} empty answers; "
        f"{recs['late_sends']} late sends"
    )
    print("reasons:", ", ".join(f"{k} {v:,}" for k, v in recs["reasons"].items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 s per phase, a smaller world")
    parser.add_argument("--rate", type=float, default=500.0, help="requests per second [500]")
    parser.add_argument("--duration", type=float, help="seconds measured per phase [60; 5]")
    parser.add_argument("--warmup", type=float, help="seconds before measuring [5; 1]")
    parser.add_argument("--products", type=int, help="simulated products [5000; 600]")
    parser.add_argument("--shoppers", type=int, help="simulated shoppers [3000; 300]")
    parser.add_argument("--events", type=int, help="their events loaded first [80000; 5000]")
    parser.add_argument("--days", type=float, default=5.0, help="simulated days before now")
    parser.add_argument("--settle-timeout", type=float, default=300.0)
    parser.add_argument("--out", type=Path, help="JSON path [results/recommend_latency.json]")
    args = parser.parse_args()
    quick = args.quick
    args.duration = args.duration or (5.0 if quick else 60.0)
    args.warmup = args.warmup if args.warmup is not None else (1.0 if quick else 5.0)
    args.products = args.products or (600 if quick else 5000)
    args.shoppers = args.shoppers or (300 if quick else 3000)
    args.events = args.events or (5000 if quick else 80_000)
    two = (os.cpu_count() or 1) >= 2
    server_cpu, client_cpu = (0, 1) if two else (None, None)
    workdir = Path(tempfile.mkdtemp(prefix="shopstream-reclat-"))
    server = BenchServer(workdir / "data", cpu=server_cpu)
    try:
        server.start(timeout=60.0)
        world = build_world(server, args)
        state = wait_digested(server, timeout=5.0)
        if client_cpu is not None:
            os.sched_setaffinity(0, {client_cpu})
        payloads = bodies(world, 5000, random.Random(SEED))
        empty = measure(server, "/bench/empty", payloads, args)
        recs = measure(server, "/v1/recommendations", payloads, args)
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    result = {
        "quick": quick,
        "rate": args.rate,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "aim": {"p99_ms": AIM_P99_MS},
        "world": {
            "products": args.products,
            "stores": len(world.stores),
            "shoppers": len(world.shoppers),
            "events": world.events,
            "embedded": state["recommend"]["embedded"],
            "ease_fitted": state["recommend"]["easeFitted"],
        },
        "empty_endpoint": empty,
        "recommendations": recs,
        "p99_ratio_to_empty": round(recs["p99_ms"] / max(empty["p99_ms"], 1e-9), 2),
        "server_cpu": server_cpu,
        "client_cpu": client_cpu,
    }
    report(result)
    print(f"wrote {write_result('recommend_latency', result, args.out)}")


if __name__ == "__main__":
    main()
