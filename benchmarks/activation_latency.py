"""Activation: from the acknowledgement of an event that fires a trigger to the signed
webhook's arrival at the receiver, under a steady background load.

A real ``shopstream serve`` (``ServerProcess``, fsync=full as shipped) runs with an ``event``
trigger (``Coupon Applied`` -> a message on the ``webhook`` channel) and a ``channels.yaml``
pointing the webhook at a receiver in this process (``shopstream.testing.WebhookSink``: it
checks every HMAC signature and dedupes by ``Idempotency-Key``). Meanwhile the server gets a
steady background load through ``/v1/batch`` (1,000 events/s by default: 10 requests a
second of 100 real Taobao events, as ``detect_latency.py`` sends them). Every ``--probe-ms``
a fresh shopper's ``Coupon Applied`` is POSTed to ``/v1/track``; the figure is the time from
its ``200`` (the event is durable) to the webhook's arrival at the receiver: the stream
processor applies it, the trigger writes the activation to the outbox (a durable commit),
the deliverer wakes, claims it (a second commit) and POSTs it signed.

Measured in the same run, as the floor of the figure:
- a direct signed POST by this process to the receiver at the same moments: from its send to
  its arrival (the same clock and the same receiver as the figure: what the last hop alone
  costs here, with this process's load), and its round trip;
- the probes' own round trips (``POST /v1/track``, send to acknowledgement).

The server is pinned to CPU 0, this process (load, probes and receiver) to CPU 1.

    python benchmarks/activation_latency.py            # 60 s at 1,000 events/s
    python benchmarks/activation_latency.py --quick    # 10 s (CI)
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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

from _common import percentile, table, write_result
from detect_latency import DATA, PinnedServer, _events
from shopstream.deliver import signed_headers
from shopstream.events import Identifier, IdType
from shopstream.identity import canonical_id
from shopstream.testing import WebhookSink

AIM_P99_MS = 250.0
SECRET = "whsec_bench"
TRIGGERS = """\
triggers:
  - id: coupon-thanks
    type: event
    on: Coupon Applied
    offers: [thanks]
"""
OFFERS = """\
offers:
  - {id: thanks, kind: message, channels: [webhook], content: {title: Thanks}}
"""
CHANNELS = """\
channels:
  webhook: {{url: '{url}', secret: {secret}, rate: 1000, burst: 1000}}
"""


@dataclass
class Run:
    acked: dict[str, float] = field(default_factory=dict)  # customer id -> ack (wall clock)
    probe_rtts: list[float] = field(default_factory=list)
    direct_rtts: list[float] = field(default_factory=list)
    direct_sent: dict[str, float] = field(default_factory=dict)  # key -> sent (wall clock)
    late_sends: int = 0
    background_acked: int = 0  # background events acknowledged while probes were measured
    measuring: bool = False
    measured_s: float = 0.0
    failures: Counter[str] = field(default_factory=Counter)


async def _background(server: PinnedServer, args: argparse.Namespace, run: Run) -> None:
    """``args.rate`` events/s through ``/v1/batch`` until cancelled (an open loop)."""
    events = _events(args.data)
    interval = args.batch / args.rate
    pending: set[asyncio.Task[None]] = set()
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
    auth = httpx.BasicAuth(server.write_key, "")
    async with httpx.AsyncClient(base_url=server.url, auth=auth, timeout=30, limits=limits) as c:

        async def send(body: bytes) -> None:
            try:
                r = await c.post("/v1/batch", content=body,
                                 headers={"content-type": "application/json"})  # fmt: skip
                if r.status_code != 200:
                    run.failures[f"batch {r.status_code}"] += 1
                elif run.measuring:
                    run.background_acked += args.batch
            except httpx.HTTPError as exc:
                run.failures[f"batch {type(exc).__name__}"] += 1

        start = time.monotonic()
        index = 0
        while True:
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
                batch.append(event)
            task = asyncio.create_task(send(orjson.dumps({"batch": batch, "sentAt": stamp})))
            pending.add(task)
            task.add_done_callback(pending.discard)
            index += 1


async def _probes(
    server: PinnedServer, sink: WebhookSink, args: argparse.Namespace, run: Run, measure: float
) -> None:
    """Every ``args.probe_ms``: a trigger event for a fresh shopper, and a direct POST to
    the receiver (the baseline); for ``measure`` seconds."""
    auth = httpx.BasicAuth(server.write_key, "")
    body = orjson.dumps({"key": "direct", "payload": {"title": "Thanks"}, "pad": "x" * 300})
    async with (
        httpx.AsyncClient(base_url=server.url, auth=auth, timeout=30) as client,
        httpx.AsyncClient(timeout=30) as direct,
    ):
        n = 0
        start = time.monotonic()
        while time.monotonic() - start < measure:
            user = f"probe-{os.getpid()}-{n}"
            customer = canonical_id(Identifier(IdType.USER_ID, user))
            event = {"type": "track", "event": "Coupon Applied", "userId": user,
                     "messageId": f"m-{user}", "properties": {"coupon_id": "c1"}}  # fmt: skip
            sent = time.monotonic()
            try:
                response = await client.post("/v1/track", json=event)
            except httpx.HTTPError as exc:
                run.failures[f"track {type(exc).__name__}"] += 1
                continue
            if response.status_code == 200:
                run.acked[customer] = time.time()
                run.probe_rtts.append(time.monotonic() - sent)
            else:
                run.failures[f"track {response.status_code}"] += 1
            key = f"direct-{n}"
            headers = signed_headers(SECRET, int(time.time()), body, key)
            sent = time.monotonic()
            run.direct_sent[key] = time.time()
            reply = await direct.post(sink.url, content=body, headers=headers)
            if reply.status_code == 200:
                run.direct_rtts.append(time.monotonic() - sent)
            n += 1
            await asyncio.sleep(max(0.0, args.probe_ms / 1000 - (time.monotonic() - sent)))


async def measure_all(server: PinnedServer, sink: WebhookSink, args: argparse.Namespace) -> Run:
    run = Run()
    load = asyncio.create_task(_background(server, args, run))
    try:
        await asyncio.sleep(args.warmup)
        if load.done():  # the background load died (no data?): there is no figure to take
            load.result()
        run.measuring = True
        started = time.monotonic()
        await _probes(server, sink, args, run, args.duration)
        run.measuring = False
        run.measured_s = time.monotonic() - started
        await asyncio.sleep(2.0)  # the last activations on their way
        if load.done():
            load.result()
    finally:
        load.cancel()
    return run


def summarise(run: Run, sink: WebhookSink, args: argparse.Namespace) -> dict[str, Any]:
    arrivals = {}
    for arrival in sink.arrivals:
        customer = arrival.body.get("customerId")
        if customer in run.acked and 200 <= arrival.status < 300 and customer not in arrivals:
            arrivals[customer] = arrival.at
    latency = [arrivals[c] - acked for c, acked in run.acked.items() if c in arrivals]
    first = min(run.acked.values(), default=0.0)
    slowest = sorted(((arrivals[c] - acked, acked - first) for c, acked in run.acked.items()
                      if c in arrivals), reverse=True)[:10]  # fmt: skip
    landed = {a.key: a.at for a in sink.arrivals if a.key in run.direct_sent}
    one_way = [landed[k] - sent for k, sent in run.direct_sent.items() if k in landed]

    def ms(values: list[float]) -> dict[str, float]:
        scaled = [v * 1000 for v in values]
        return {"p50_ms": round(percentile(scaled, 50), 2),
                "p99_ms": round(percentile(scaled, 99), 2),
                "max_ms": round(max(scaled, default=0.0), 2), "n": len(scaled)}  # fmt: skip

    return {
        "quick": args.quick,
        "background_events_per_s": args.rate,
        "background_achieved_events_per_s": round(run.background_acked / max(run.measured_s, 1e-9)),
        "events_per_request": args.batch,
        "duration_s": args.duration,
        "probe_every_ms": args.probe_ms,
        "aim": {"p99_ms": AIM_P99_MS},
        "ack_to_webhook": ms(latency),
        "direct_post_to_arrival": ms(one_way),
        "direct_post_round_trip": ms(run.direct_rtts),
        "probe_round_trip": ms(run.probe_rtts),
        "probes_acked": len(run.acked),
        "probes_delivered": len(latency),
        "bad_signatures": sink.bad_signatures,
        "duplicates_accepted": sum(1 for n in sink.accepted.values() if n > 1),
        "late_background_sends": run.late_sends,
        # When the slowest probes were acknowledged (s after the first): stalls show as
        # clusters (the server saves its live state every 30 s or 50,000 events).
        "slowest": [
            {"acked_s": round(at, 2), "ack_to_webhook_ms": round(lat * 1000, 1)}
            for lat, at in slowest
        ],
        "failures": dict(run.failures),
        "server_cpu": args.server_cpu,
        "client_cpu": args.client_cpu,
        # The machine is shared: its 1-minute load average when the run ended.
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def report(result: dict[str, Any]) -> None:
    rows = [["figure", "p50 ms", "p99 ms", "max ms", "n"]]
    for key, label in (
        ("ack_to_webhook", "ack -> webhook at the receiver"),
        ("direct_post_to_arrival", "direct POST: send -> arrival (floor)"),
        ("direct_post_round_trip", "direct POST round trip"),
        ("probe_round_trip", "POST /v1/track round trip"),
    ):
        f = result[key]
        rows.append([label, f"{f['p50_ms']:.2f}", f"{f['p99_ms']:.2f}", f"{f['max_ms']:.2f}",
                     f"{f['n']:,}"])  # fmt: skip
    print(f"\n{result['background_events_per_s']:,} events/s of background load (achieved "
          f"{result['background_achieved_events_per_s']:,}), {result['duration_s']:.0f} s; "
          f"a trigger event every {result['probe_every_ms']} ms")  # fmt: skip
    print(table(rows))
    p99, aim = result["ack_to_webhook"]["p99_ms"], result["aim"]["p99_ms"]
    print(
        f"\nack -> webhook p99 {p99:.1f} ms (aim {aim:.0f} ms: {'met' if p99 <= aim else 'NOT met'}); "
        f"{result['probes_delivered']} of {result['probes_acked']} probes delivered; "
        f"{result['late_background_sends']} background requests sent late; failures: "
        f"{result['failures'] or 'none'}; load average {result['load_average_1m']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 s of load (CI)")
    parser.add_argument("--duration", type=float, help="seconds measured [60; quick: 10]")
    parser.add_argument("--warmup", type=float, help="seconds before measuring [5; quick: 2]")
    parser.add_argument("--rate", type=int, default=1000, help="background events/s [1000]")
    parser.add_argument("--batch", type=int, default=100, help="events per request [100]")
    parser.add_argument("--probe-ms", type=float, default=100.0, help="probe interval [100 ms]")
    parser.add_argument("--data", type=Path, default=DATA, help=f"shared data [{DATA}]")
    parser.add_argument("--out", type=Path, help="JSON path [results/activation_latency.json]")
    args = parser.parse_args()
    args.duration = args.duration or (10.0 if args.quick else 60.0)
    args.warmup = args.warmup if args.warmup is not None else (2.0 if args.quick else 5.0)
    two = (os.cpu_count() or 1) >= 2
    args.server_cpu, args.client_cpu = (0, 1) if two else (None, None)
    if args.client_cpu is not None:
        os.sched_setaffinity(0, {args.client_cpu})
    workdir = Path(tempfile.mkdtemp(prefix="shopstream-activation-"))
    config = workdir / "config"
    config.mkdir()
    (config / "triggers.yaml").write_text(TRIGGERS)
    (config / "offers.yaml").write_text(OFFERS)
    with WebhookSink(SECRET) as sink:
        (config / "channels.yaml").write_text(CHANNELS.format(url=sink.url, secret=SECRET))
        server = PinnedServer(
            workdir / "data", cpu=args.server_cpu,
            extra_env={"SHOPSTREAM_DECIDE_CONFIG_DIR": str(config)},
        )  # fmt: skip
        try:
            server.start()
            run = asyncio.run(measure_all(server, sink, args))
        finally:
            server.stop()
            shutil.rmtree(workdir, ignore_errors=True)
        result = summarise(run, sink, args)
    if not result["probes_delivered"]:
        print(f"no activation arrived; failures: {dict(run.failures)}", file=sys.stderr)
        raise SystemExit(1)
    report(result)
    print(f"wrote {write_result('activation_latency', result, args.out)}")


if __name__ == "__main__":
    main()
