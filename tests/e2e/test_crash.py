"""Nothing acknowledged is ever lost (DESIGN.md, "Reliability").

A client streams batches of 50 events with explicit messageIds to a real ``shopstream serve``
and retries each batch until it is acknowledged, as Segment's SDKs do; now and then it also
re-sends a batch that was already acknowledged (an SDK that never saw the answer). Meanwhile
the server is killed with SIGKILL at random (seeded) moments and restarted on the same data
directory and port. At the end every acknowledged messageId is in the log exactly once, as
sent, every sent batch was eventually acknowledged, and nothing else is there.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import pytest

from shopstream.testing import Namespace, ServerProcess, scaled_out

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(150)]

SEED = 20261125
KILLS = 6
BATCH = 50
GIVE_UP_AFTER = 60.0  # seconds one batch may take to be acknowledged


def event(batch: int, index: int) -> dict[str, Any]:
    message_id = f"b{batch}-e{index}"
    common = {"messageId": message_id, "anonymousId": f"anon-{batch % 13}",
              "timestamp": "2026-11-25T10:00:00.000Z"}  # fmt: skip
    if index % 10 == 0:
        return {**common, "type": "identify", "userId": f"user-{batch % 13}",
                "traits": {"email": f"shopper{batch % 13}@example.com"}}  # fmt: skip
    return {**common, "type": "track", "event": "Product Viewed",
            "properties": {"product_id": message_id, "price": index + 0.5}}  # fmt: skip


@dataclass
class Streamer:
    """The client: one batch at a time, each retried until the server says 200."""

    url: str
    write_key: str
    rng: random.Random
    stop: threading.Event = field(default_factory=threading.Event)
    acked: list[int] = field(default_factory=list)
    sent: int = 0
    resent: int = 0
    retries: Counter[str] = field(default_factory=Counter)
    error: BaseException | None = None

    def run(self) -> None:
        try:
            with httpx.Client(base_url=self.url, auth=(self.write_key, ""), timeout=5.0) as http:
                while not self.stop.is_set():
                    if self.acked and self.rng.random() < 0.1:
                        self.deliver(http, self.rng.choice(self.acked))  # an SDK retry
                        self.resent += 1
                    batch = self.sent
                    self.sent += 1
                    self.deliver(http, batch)
                    self.acked.append(batch)
        except BaseException as exc:  # reported by the test thread
            self.error = exc

    def deliver(self, http: httpx.Client, batch: int) -> None:
        body = {"batch": [event(batch, i) for i in range(BATCH)],
                "sentAt": "2026-11-25T10:00:01.000Z"}  # fmt: skip
        deadline = time.monotonic() + GIVE_UP_AFTER
        while time.monotonic() < deadline:
            try:
                response = http.post("/v1/batch", json=body)
            except httpx.TransportError as exc:  # refused, reset, cut off: the server died
                self.retries[type(exc).__name__] += 1
                time.sleep(0.02)
                continue
            if response.status_code == 200:
                return
            if response.status_code == 503:
                self.retries["503"] += 1
                time.sleep(0.05)
                continue
            msg = f"batch {batch}: {response.status_code} {response.text}"
            raise AssertionError(msg)
        msg = f"batch {batch} was not acknowledged in {GIVE_UP_AFTER} s"
        raise TimeoutError(msg)


def read_log(server: ServerProcess) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    after = 0
    with httpx.Client(base_url=server.url, headers=server.admin_headers(), timeout=30) as http:
        while True:
            page = http.get("/v1/events", params={"after": after, "limit": 5000}).json()
            if not page["events"]:
                return records
            records += page["events"]
            after = page["next"]


@pytest.mark.parametrize("backend", ["embedded", "collectors", "scaleout"], indirect=True)
def test_acknowledged_events_survive_sigkill_exactly_once(
    tmp_path: Path, backend: str, scaleout: Namespace | None
) -> None:
    """With a collector process, the kill takes the API process only: its collector finishes
    what it had read and exits, while the restarted server starts a new one."""
    rng = random.Random(SEED)
    collectors = "1" if backend == "collectors" else "0"
    server = ServerProcess(tmp_path / "data", extra_args=["--collectors", collectors])
    if scaleout is not None:
        scaled_out(server, scaleout)
    server.start()
    streamer = Streamer(server.url, server.write_key, random.Random(SEED + 1))
    client = threading.Thread(target=streamer.run, name="streamer", daemon=True)
    acked_at_kill: list[int] = []
    try:
        client.start()
        for _ in range(KILLS):
            time.sleep(rng.uniform(0.15, 0.8))  # let the client get going, then crash
            acked_at_kill.append(len(streamer.acked))
            server.kill()
            time.sleep(rng.uniform(0.0, 0.3))  # the client keeps knocking on a closed port
            server.start()
        time.sleep(0.5)
        streamer.stop.set()
        client.join(timeout=GIVE_UP_AFTER + 10)
        assert not client.is_alive(), "the client is stuck"
        if streamer.error is not None:
            raise streamer.error
        records = read_log(server)
        with httpx.Client(base_url=server.url, headers=server.admin_headers()) as http:
            letters = http.get("/v1/dead-letters").json()["deadLetters"]
    finally:
        streamer.stop.set()
        server.stop()

    # The crashes really happened mid-stream: the client made progress between most of them
    # and had to retry.
    assert sum(later > earlier for earlier, later in pairwise(acked_at_kill)) >= KILLS // 2
    assert sum(streamer.retries.values()) >= KILLS, streamer.retries

    # Every sent batch was eventually acknowledged.
    assert sorted(set(streamer.acked)) == list(range(streamer.sent))
    # Every acknowledged messageId is stored exactly once, and nothing else is.
    counts = Counter(r["event"]["messageId"] for r in records)
    assert [m for m, n in counts.items() if n > 1] == []
    expected = {f"b{b}-e{i}" for b in streamer.acked for i in range(BATCH)}
    assert set(counts) == expected
    # In order, and as sent (a torn or mixed-up write would show here).
    offsets = [r["offset"] for r in records]
    assert offsets == sorted(set(offsets))
    for record in records:
        stored = record["event"]
        batch, index = (int(part[1:]) for part in stored["messageId"].split("-"))
        sent = event(batch, index)
        assert stored["type"] == sent["type"]
        assert stored["anonymousId"] == sent["anonymousId"]
        if sent["type"] == "track":
            assert stored["properties"] == sent["properties"]
    assert letters == []
