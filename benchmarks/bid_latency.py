"""Ad bid latency: ``Engine.bid()`` in-process, and ``POST /v1/bid`` over HTTP.

In-process, one thread: an engine whose live trends hold a week of views over 200 categories
(20 of them surging in the last hour), heatwave signals in 3 of 10 regions and 100,000
customers with segments; 10,000 distinct bid requests (category, region, segment named or
not, customer or not) are bid round-robin, each call timed alone with ``perf_counter_ns``.
Baselines timed the same way in the same run: an empty Python function call with the same
argument (the timer's and the call's floor) and a dict lookup. Also: calls per second untimed,
and a bidder that precomputes nothing (``max_places=0``: every call scores the category's
trend and reads the signals), which is what the precomputation saves.

Over HTTP: the app as ``shopstream serve`` runs it (``_server.py``, pinned to the first CPU,
the client to the second), fed the same kind of week through ``/v1/batch``; one keep-alive
client sends ``POST /v1/bid`` and ``POST /bench/empty`` (the framework's floor) alternately,
one at a time, and times each round trip.

    python benchmarks/bid_latency.py            # 1,000,000 calls; 5,000 requests each
    python benchmarks/bid_latency.py --quick    # 100,000 calls; 500 requests each (CI)
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from _common import BenchServer, percentile, table, write_result
from shopstream import Engine, Settings
from shopstream.core import CustomerId
from shopstream.decide import Bidder, BidRequest, StaticSegments
from shopstream.events import parse_message

AIM_P99_US = 100.0
CATEGORIES = [f"Dept {d} > Aisle {d}-{a}" for d in range(20) for a in range(10)]
REGIONS = [f"region-{r}" for r in range(10)]
HOT = REGIONS[:3]
SEGMENTS = ["high_value", "cart_abandoner", "new_customer", "lapsed", "browsers"]
CUSTOMERS = 100_000


def week(now: datetime, categories: list[str]) -> Iterator[dict[str, Any]]:
    """A view an hour of one product per category for a week, then a surge in the first 20
    categories over the last hour, and a heatwave in the hot regions."""
    for hour in range(24 * 7, 0, -1):
        for i, category in enumerate(categories):
            yield _view(f"p{i}", category, now - timedelta(hours=hour, seconds=i))
    for i, category in enumerate(categories[:20]):
        for minute in range(30):
            yield _view(f"p{i}", category, now - timedelta(minutes=minute, seconds=i))
    for region in HOT:
        yield {"type": "track", "anonymousId": "weather", "event": "Signal Received",
               "timestamp": now.isoformat(),
               "properties": {"kind": "weather.heatwave", "region": region, "values": {"temp_c": 35},
                              "valid_until": (now + timedelta(days=1)).isoformat()}}  # fmt: skip


def _view(product: str, category: str, at: datetime) -> dict[str, Any]:
    return {"type": "track", "anonymousId": f"a-{product}", "event": "Product Viewed",
            "timestamp": at.isoformat(), "properties": {"product_id": product, "category": category}}  # fmt: skip


def requests(rng: random.Random, n: int) -> list[BidRequest]:
    found = []
    for i in range(n):
        category = rng.choice(CATEGORIES) if rng.random() < 0.95 else None
        segment = (rng.choice(SEGMENTS),) if rng.random() < 0.3 else ()
        customer = CustomerId(f"c{rng.randrange(CUSTOMERS)}") if rng.random() < 0.7 else None
        found.append(
            BidRequest(f"campaign-{i % 50}", category, rng.choice(REGIONS), segment, customer)
        )
    return found


def timed(call: Callable[[BidRequest], object], pool: list[BidRequest], n: int) -> list[float]:
    """Each call timed alone, in microseconds."""
    clock = time.perf_counter_ns
    size = len(pool)
    samples = [0.0] * n
    for i in range(n):
        request = pool[i % size]
        start = clock()
        call(request)
        samples[i] = (clock() - start) / 1000.0
    return samples


def untimed(call: Callable[[BidRequest], object], pool: list[BidRequest], n: int) -> float:
    """Calls per second, the loop not timed call by call."""
    size = len(pool)
    start = time.perf_counter()
    for i in range(n):
        call(pool[i % size])
    return n / (time.perf_counter() - start)


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "p50_us": round(percentile(samples, 50), 3),
        "p99_us": round(percentile(samples, 99), 3),
        "p999_us": round(percentile(samples, 99.9), 3),
        "max_us": round(max(samples), 1),
        "mean_us": round(sum(samples) / len(samples), 3),
    }


def in_process(calls: int, workdir: Path) -> dict[str, Any]:
    settings = Settings(data_dir=workdir / "inproc")
    engine = Engine.from_settings(settings)
    now = datetime.now(UTC)
    trends = engine.trends
    for offset, raw in enumerate(week(now, CATEGORIES), 1):
        message = parse_message(raw, source="bench", received_at=now)
        trends.apply(message, offset=offset, now=now)
    rng = random.Random(7)
    engine.bidder.segments = StaticSegments(
        {CustomerId(f"c{i}"): rng.sample(SEGMENTS, rng.randrange(0, 3)) for i in range(CUSTOMERS)}
    )
    pool = requests(rng, 10_000)
    table_ = {c: 1.0 for c in CATEGORIES}

    def empty(request: BidRequest) -> None:
        return None

    def lookup(request: BidRequest) -> object:
        return table_.get(request.category or "")

    cold = Bidder(engine.bidder.rules, lambda: trends, engine.bidder.segments, max_places=0)
    wall = time.time

    def uncached(request: BidRequest) -> object:
        return cold.bid(request, now=wall())

    reasons = [len(engine.bid(r).reasons) for r in pool]
    gc.collect()
    gc.disable()  # the server runs with a tuned collector; here its pauses would be noise
    try:
        figures = {
            "engine_bid": summary(timed(engine.bid, pool, calls)),
            "empty_call": summary(timed(empty, pool, calls)),
            "dict_lookup": summary(timed(lookup, pool, calls)),
            "uncached_bid": summary(timed(uncached, pool, min(calls, 20_000))),
            "engine_bid_calls_per_second": round(untimed(engine.bid, pool, calls)),
            "empty_calls_per_second": round(untimed(empty, pool, calls)),
        }
    finally:
        gc.enable()
    figures["requests_with_reasons"] = sum(1 for n in reasons if n) / len(reasons)
    figures["mean_reasons"] = sum(reasons) / len(reasons)
    figures["calls"] = calls
    return figures


def over_http(requests_each: int, workdir: Path) -> dict[str, Any]:
    two = (os.cpu_count() or 1) >= 2
    server = BenchServer(workdir / "http", cpu=0 if two else None)
    if two:
        os.sched_setaffinity(0, {1})
    bids, empties = [], []
    try:
        server.start()
        now = datetime.now(UTC)
        events = list(week(now, CATEGORIES[:40]))
        with httpx.Client(base_url=server.url, timeout=30) as http:
            for start in range(0, len(events), 400):
                sent = http.post("/v1/batch", json={"batch": events[start : start + 400]},
                                 auth=(server.write_key, ""))  # fmt: skip
                sent.raise_for_status()
            rng = random.Random(11)
            headers = server.server_headers()
            bodies = [
                {"campaign": "c", "category": rng.choice(CATEGORIES[:40]), "region": rng.choice(REGIONS),
                 **({"segment": rng.choice(SEGMENTS)} if rng.random() < 0.3 else {})}
                for _ in range(1000)
            ]  # fmt: skip
            for i in range(requests_each // 10):  # warm-up
                http.post("/v1/bid", json=bodies[i % 1000], headers=headers).raise_for_status()
                http.post("/bench/empty", json=bodies[i % 1000]).raise_for_status()
            clock = time.perf_counter_ns
            for i in range(requests_each):
                body = bodies[i % 1000]
                start = clock()
                response = http.post("/v1/bid", json=body, headers=headers)
                bids.append((clock() - start) / 1000.0)
                response.raise_for_status()
                start = clock()
                response = http.post("/bench/empty", json=body)
                empties.append((clock() - start) / 1000.0)
                response.raise_for_status()
    finally:
        server.stop()
    bid, empty = summary(bids), summary(empties)
    return {
        "requests_each": requests_each,
        "bid": bid,
        "empty_endpoint": empty,
        "p50_ratio": round(bid["p50_us"] / empty["p50_us"], 2),
        "p99_ratio": round(bid["p99_us"] / empty["p99_us"], 2),
        "server_cpu": 0 if two else None,
        "client_cpu": 1 if two else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls and requests (CI)")
    parser.add_argument("--calls", type=int, help="in-process calls [1,000,000; quick: 100,000]")
    parser.add_argument("--requests", type=int, help="HTTP requests each [5,000; quick: 500]")
    parser.add_argument("--out", type=Path, help="JSON path [results/bid_latency.json]")
    args = parser.parse_args()
    calls = args.calls or (100_000 if args.quick else 1_000_000)
    each = args.requests or (500 if args.quick else 5_000)
    workdir = Path(tempfile.mkdtemp(prefix="shopstream-bid-"))
    try:
        inproc = in_process(calls, workdir)
        http = over_http(each, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    rows = [["in-process (µs)", "p50", "p99", "p99.9", "max", "mean"]]
    for name in ("engine_bid", "uncached_bid", "empty_call", "dict_lookup"):
        s = inproc[name]
        rows.append(
            [name, *(f"{s[k]:.2f}" for k in ("p50_us", "p99_us", "p999_us", "max_us", "mean_us"))]
        )
    print(table(rows))
    print(
        f"Engine.bid: {inproc['engine_bid_calls_per_second']:,} calls/s untimed "
        f"(empty call {inproc['empty_calls_per_second']:,}/s); p99 {inproc['engine_bid']['p99_us']:.1f} µs "
        f"(aim {AIM_P99_US:.0f}); {inproc['requests_with_reasons']:.0%} of requests had a reason"
    )
    rows = [["over HTTP (µs)", "p50", "p99", "p99.9", "max"]]
    for name in ("bid", "empty_endpoint"):
        s = http[name]
        rows.append(["POST /v1/bid" if name == "bid" else "POST /bench/empty",
                     *(f"{s[k]:.0f}" for k in ("p50_us", "p99_us", "p999_us", "max_us"))])  # fmt: skip
    print(table(rows))
    print(f"/v1/bid over the empty endpoint: p50 x{http['p50_ratio']}, p99 x{http['p99_ratio']}")
    result = {"quick": args.quick, "aim_p99_us": AIM_P99_US, "in_process": inproc, "http": http}
    print(f"wrote {write_result('bid_latency', result, args.out)}")


if __name__ == "__main__":
    main()
