"""Detect: from a request's acknowledgement to its events being visible in the live profile.

A real ``shopstream serve`` (``ServerProcess``, fsync=full as shipped) is sent a steady
2,000 events/s through ``/v1/batch``: 20 requests a second of 100 real events each (the
Taobao slice, ``shopstream.simulate``, replayed with fresh ids and stamped with the time they
are sent), as Segment's SDKs send them. For every ``--sample-every``-th request, as soon as it
is acknowledged (``200``: the events are durable), the profile of the shopper of its last event
is polled, ``GET /v1/profiles/userId/<id>`` with a server key, until its ``eventCount``
reaches the number of events sent for that shopper so far: that is the request's
acknowledgement-to-visible latency.

Measured in the same run, so the figure can be read apart from the cost of looking:
- the round trip of a ``GET /v1/profiles`` for a profile already visible, and of
  ``GET /healthz``, sent every 37 ms (out of step with the requests) under the same load: the
  floor of this measurement;
- the poll interval (``--poll-ms``), its resolution;
- the requests' own round trips (send to acknowledgement).

The server is pinned to CPU 0 and this client to CPU 1 when there are two CPUs or more.

    python benchmarks/detect_latency.py               # 60 s at 2,000 events/s
    python benchmarks/detect_latency.py --quick       # 10 s (CI)
    python benchmarks/detect_latency.py --rate 5000 --batch 250
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

from _common import HERE, percentile, table, write_result
from shopstream.simulate import TAOBAO_FILE, repeat, taobao_events
from shopstream.testing import ServerProcess

DATA = HERE.parent.parent / "shared" / "data"
AIM_P99_MS = 50.0


@dataclass
class PinnedServer(ServerProcess):
    """``shopstream serve`` itself, pinned to one CPU with ``taskset`` (all its threads)."""

    cpu: int | None = None

    def command(self) -> list[str]:
        pin = ["taskset", "-c", str(self.cpu)] if self.cpu is not None else []
        return [*pin, *super().command()]


@dataclass
class Sample:
    sent: float  # when the request was sent (monotonic seconds)
    acked: float
    visible: float
    polls: int
    last_poll_rtt: float


@dataclass
class Run:
    samples: list[Sample] = field(default_factory=list)
    request_rtts: list[float] = field(default_factory=list)
    profile_rtts: list[float] = field(default_factory=list)  # baseline: a visible profile
    health_rtts: list[float] = field(default_factory=list)  # baseline: /healthz
    late_sends: int = 0  # requests sent more than one interval behind schedule
    failures: Counter[str] = field(default_factory=Counter)


def _events(data: Path) -> Iterator[dict[str, Any]]:
    """Taobao events, endlessly, each pass with fresh shoppers and message ids."""
    run_id = f"{os.getpid():x}{int(time.time()) % 100_000:x}"
    for event in repeat(lambda: taobao_events(data / TAOBAO_FILE)):
        event["messageId"] = f"{event['messageId']}-{run_id}"
        event["userId"] = f"{event['userId']}-{run_id}"
        yield event


async def _poll_visible(
    client: httpx.AsyncClient, server: ServerProcess, user: str, count: int, poll: float
) -> tuple[float, int, float]:
    """Poll the profile until its event count reaches ``count``; (when, polls, last RTT)."""
    url = f"/v1/profiles/userId/{user}"
    polls = 0
    deadline = time.monotonic() + 10.0
    while True:
        polls += 1
        started = time.monotonic()
        response = await client.get(url, headers=server.server_headers())
        done = time.monotonic()
        if response.status_code == 200 and response.json()["eventCount"] >= count:
            return done, polls, done - started
        if response.status_code not in (200, 404):
            msg = f"GET {url} answered {response.status_code}: {response.text[:200]}"
            raise RuntimeError(msg)
        if done > deadline:
            msg = f"{user} did not show {count} events within 10 s"
            raise TimeoutError(msg)
        await asyncio.sleep(max(0.0, poll - (done - started)))


async def _send(
    sender: httpx.AsyncClient,
    poller: httpx.AsyncClient,
    server: ServerProcess,
    run: Run,
    body: bytes,
    probe: tuple[str, int] | None,
    measured: bool,
    poll: float,
) -> None:
    """POST one request; if ``probe`` names a shopper and count, wait for them to show."""
    sent = time.monotonic()
    try:
        response = await sender.post(
            "/v1/batch", content=body, headers={"content-type": "application/json"}
        )
    except httpx.HTTPError as exc:
        run.failures[f"POST {type(exc).__name__}"] += 1
        return
    acked = time.monotonic()
    if response.status_code != 200:
        run.failures[f"POST {response.status_code}"] += 1
        return
    if not measured:
        return
    run.request_rtts.append(acked - sent)
    if probe is None:
        return
    try:
        visible, polls, rtt = await _poll_visible(poller, server, *probe, poll)
    except (TimeoutError, RuntimeError, httpx.HTTPError) as exc:
        run.failures[type(exc).__name__] += 1
        return
    run.samples.append(Sample(sent, acked, visible, polls, rtt))


async def load(server: ServerProcess, args: argparse.Namespace) -> Run:
    """Send ``args.rate`` events/s for ``args.duration`` s (after a warm-up), sampling.

    Requests leave on schedule whether or not earlier ones were answered (an open loop, as
    many SDK instances would send), each on its own keep-alive connection from a pool.
    """
    run = Run()
    events = _events(args.data)
    sent_per_user: Counter[str] = Counter()
    auth = httpx.BasicAuth(server.write_key, "")
    interval = args.batch / args.rate
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with (
        httpx.AsyncClient(base_url=server.url, auth=auth, timeout=30.0, limits=limits) as sender,
        httpx.AsyncClient(base_url=server.url, timeout=30.0, limits=limits) as poller,
    ):
        pending: set[asyncio.Task[None]] = set()
        total = round((args.warmup + args.duration) / interval)
        warmup = round(args.warmup / interval)
        stop = asyncio.Event()
        pinger: asyncio.Task[None] | None = None
        start = time.monotonic() + 0.1
        for index in range(total):
            due = start + index * interval
            now = time.monotonic()
            if due > now:
                await asyncio.sleep(due - now)
            elif now - due > interval:
                run.late_sends += 1
            stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            batch = []
            for _ in range(args.batch):
                event = next(events)
                event["timestamp"] = stamp
                sent_per_user[event["userId"]] += 1
                batch.append(event)
            body = orjson.dumps({"batch": batch, "sentAt": stamp})
            user = batch[-1]["userId"]
            measured = index >= warmup
            if measured and pinger is None:
                pinger = asyncio.create_task(_baseline(poller, server, run, user, stop))
            probe = (user, sent_per_user[user]) if index % args.sample_every == 0 else None
            task = asyncio.create_task(
                _send(sender, poller, server, run, body, probe, measured, args.poll_ms / 1000)
            )
            pending.add(task)
            task.add_done_callback(pending.discard)
        if pending:
            await asyncio.wait(pending)
        stop.set()
        if pinger is not None:
            await pinger
    return run


async def _baseline(
    client: httpx.AsyncClient, server: ServerProcess, run: Run, user: str, stop: asyncio.Event
) -> None:
    """Time a GET of a visible profile and of /healthz every 37 ms until ``stop``."""
    url = f"/v1/profiles/userId/{user}"
    await _poll_visible(client, server, user, 1, 0.01)
    while not stop.is_set():
        started = time.monotonic()
        response = await client.get(url, headers=server.server_headers())
        middle = time.monotonic()
        health = await client.get("/healthz")
        done = time.monotonic()
        if response.status_code == 200 and health.status_code == 200:
            run.profile_rtts.append(middle - started)
            run.health_rtts.append(done - middle)
        await asyncio.sleep(0.037)


def summarise(run: Run, args: argparse.Namespace) -> dict[str, Any]:
    def ms(values: list[float]) -> dict[str, float]:
        scaled = [v * 1000 for v in values]
        return {
            "p50_ms": round(percentile(scaled, 50), 2),
            "p99_ms": round(percentile(scaled, 99), 2),
            "max_ms": round(max(scaled, default=0.0), 2),
            "n": len(scaled),
        }

    latency = [s.visible - s.acked for s in run.samples]
    from_send = [s.visible - s.sent for s in run.samples]
    first = min((s.sent for s in run.samples), default=0.0)
    slowest = sorted(run.samples, key=lambda s: s.visible - s.acked, reverse=True)[:10]
    return {
        "quick": args.quick,
        "rate_events_per_s": args.rate,
        "events_per_request": args.batch,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "sample_every": args.sample_every,
        "poll_ms": args.poll_ms,
        "aim": {"p99_ms": AIM_P99_MS},
        "ack_to_visible": ms(latency),
        "send_to_visible": ms(from_send),
        "get_visible_profile": ms(run.profile_rtts),
        "get_healthz": ms(run.health_rtts),
        "seeing_get": ms([s.last_poll_rtt for s in run.samples]),
        "request_round_trip": ms(run.request_rtts),
        "polls_per_sample_mean": round(
            sum(s.polls for s in run.samples) / max(len(run.samples), 1), 2
        ),
        "visible_at_first_poll": sum(1 for s in run.samples if s.polls == 1),
        "late_sends": run.late_sends,
        # When the slowest samples were sent (s after the first): stalls show as clusters.
        "slowest": [
            {
                "sent_s": round(s.sent - first, 2),
                "ack_to_visible_ms": round((s.visible - s.acked) * 1000, 1),
            }
            for s in slowest
        ],
        "failures": dict(run.failures),
        "server_cpu": args.server_cpu,
        "client_cpu": args.client_cpu,
    }


def report(result: dict[str, Any]) -> None:
    rows = [["figure", "p50 ms", "p99 ms", "max ms", "n"]]
    for key, label in (
        ("ack_to_visible", "ack -> visible in GET /v1/profiles"),
        ("send_to_visible", "send -> visible"),
        ("get_visible_profile", "GET of a visible profile (floor)"),
        ("get_healthz", "GET /healthz"),
        ("seeing_get", "the GET that saw the events"),
        ("request_round_trip", "POST /v1/batch round trip"),
    ):
        f = result[key]
        rows.append([label, f"{f['p50_ms']:.2f}", f"{f['p99_ms']:.2f}", f"{f['max_ms']:.2f}",
                     f"{f['n']:,}"])  # fmt: skip
    print(
        f"\n{result['rate_events_per_s']:,} events/s as {result['events_per_request']} events a "
        f"request, {result['duration_s']:.0f} s; every {result['sample_every']} request(s) "
        f"sampled, polled every {result['poll_ms']} ms"
    )
    print(table(rows))
    p99 = result["ack_to_visible"]["p99_ms"]
    aim = result["aim"]["p99_ms"]
    print(
        f"\nack -> visible p99 {p99:.1f} ms (aim {aim:.0f} ms: {'met' if p99 <= aim else 'NOT met'});"
        f" {result['visible_at_first_poll']} of {result['ack_to_visible']['n']} samples visible at"
        f" the first poll; {result['late_sends']} requests sent late; failures: "
        f"{result['failures'] or 'none'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 s of load (CI)")
    parser.add_argument("--duration", type=float, help="seconds measured [60; quick: 10]")
    parser.add_argument("--warmup", type=float, help="seconds before measuring [5; quick: 2]")
    parser.add_argument("--rate", type=int, default=2000, help="events per second [2000]")
    parser.add_argument("--batch", type=int, default=100, help="events per request [100]")
    parser.add_argument("--sample-every", type=int, default=2, help="sample every Nth request")
    parser.add_argument("--poll-ms", type=float, default=1.0, help="poll interval [1 ms]")
    parser.add_argument("--data", type=Path, default=DATA, help=f"shared data [{DATA}]")
    parser.add_argument("--out", type=Path, help="JSON path [results/detect_latency.json]")
    args = parser.parse_args()
    args.duration = args.duration or (10.0 if args.quick else 60.0)
    args.warmup = args.warmup if args.warmup is not None else (2.0 if args.quick else 5.0)
    two = (os.cpu_count() or 1) >= 2
    args.server_cpu, args.client_cpu = (0, 1) if two else (None, None)
    if args.client_cpu is not None:
        os.sched_setaffinity(0, {args.client_cpu})
    workdir = Path(tempfile.mkdtemp(prefix="shopstream-detect-"))
    server = PinnedServer(workdir / "data", cpu=args.server_cpu)
    try:
        server.start()
        run = asyncio.run(load(server, args))
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    if not run.samples:
        print(f"no sample became visible; failures: {dict(run.failures)}", file=sys.stderr)
        raise SystemExit(1)
    result = summarise(run, args)
    report(result)
    print(f"wrote {write_result('detect_latency', result, args.out)}")


if __name__ == "__main__":
    main()
