"""Every activation is delivered, and none twice at the receiving end, across SIGKILLs.

The outbox holds activations (written as fired triggers write them, some while the server
is down). A real ``shopstream serve`` delivers them to a webhook receiver in this process
that verifies each HMAC signature, answers 503 to the first attempt of every fifth key (so
retries with backoff happen) and dedupes by ``Idempotency-Key``. The server is killed with
SIGKILL while batches are in flight, and restarted on the same data directory. At the end
every key was accepted exactly once, the raw arrivals show the retries and the re-sends of
leased entries, and the outbox says every entry was delivered.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from shopstream.core import CustomerId
from shopstream.decide import Activation
from shopstream.storage.postgres import PostgresOutbox, migrate
from shopstream.storage.sqlite import SQLiteOutbox
from shopstream.testing import POSTGRES_URL, Namespace, ServerProcess, WebhookSink, scaled_out

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

SECRET = "whsec_crash_test"
WAVES = 4  # activations are written in waves, one before each (re)start
PER_WAVE = 150
KILL_AFTER = (40, 140, 300)  # accepted keys at which the server is killed, in turn


def activations(wave: int) -> list[Activation]:
    at = datetime(2026, 11, 25, 10, tzinfo=UTC) + timedelta(minutes=wave)
    return [
        Activation(f"w{wave}-a{i}", CustomerId(f"c{i % 37}"), "webhook", "offer", "cart-abandon",
                   "10off", f"d{wave}-{i}", {"items": [f"p{i}"], "wave": wave}, at)
        for i in range(PER_WAVE)
    ]  # fmt: skip


def respond(key: str, attempt: int) -> int:
    return 503 if attempt == 1 and int(key.rsplit("a", 1)[1]) % 5 == 0 else 200


def write_config(config_dir: Path, url: str) -> None:
    config_dir.mkdir()
    (config_dir / "channels.yaml").write_text(
        "retry: {max_attempts: 20, base_seconds: 0.1, factor: 2, max_seconds: 1, jitter: 0.5}\n"
        "channels:\n"
        f"  webhook: {{url: '{url}', secret: {SECRET}, rate: 400, burst: 40}}\n"
    )


@pytest.mark.parametrize("backend", ["embedded", "scaleout"], indirect=True)
def test_sigkill_mid_batch_loses_and_duplicates_nothing(
    tmp_path: Path, scaleout: Namespace | None
) -> None:
    data, config = tmp_path / "data", tmp_path / "config"
    data.mkdir()
    with WebhookSink(SECRET, respond=respond, delay=0.01) as sink:
        write_config(config, sink.url)
        server = ServerProcess(
            data,
            extra_env={"SHOPSTREAM_DECIDE_CONFIG_DIR": str(config),
                       "SHOPSTREAM_DELIVER_LEASE_SECONDS": "1", "SHOPSTREAM_FSYNC": "normal"},
        )  # fmt: skip
        outbox: SQLiteOutbox | PostgresOutbox
        if scaleout is None:
            outbox = SQLiteOutbox(data / "outbox.db", fsync="normal")
        else:
            scaled_out(server, scaleout)
            migrate(POSTGRES_URL, scaleout.schema)  # the outbox is filled before serve starts
            outbox = PostgresOutbox(POSTGRES_URL, scaleout.schema)
        kills = 0
        try:
            for wave in range(WAVES):
                assert outbox.put(activations(wave)) == PER_WAVE
                assert outbox.put(activations(wave)[:10]) == 0  # a replayed trigger: nothing new
                server.start()
                if wave < len(KILL_AFTER):
                    assert sink.wait_for(KILL_AFTER[wave], timeout=60)
                    server.kill()  # SIGKILL, with sends in flight
                    kills += 1
            total = WAVES * PER_WAVE
            assert sink.wait_for(total, timeout=90)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                counts = httpx.get(server.url + "/v1/outbox", headers=server.admin_headers()).json()
                if counts["counts"]["delivered"] == total:
                    break
                time.sleep(0.2)
        finally:
            server.stop()
            outbox.close()
    keys = {a.key for w in range(WAVES) for a in activations(w)}
    assert kills == len(KILL_AFTER)
    assert counts["counts"] == {"pending": 0, "delivered": total, "dead": 0}
    assert set(sink.accepted) == keys
    assert all(n == 1 for n in sink.accepted.values())  # exactly once at the receiving end
    assert sink.bad_signatures == 0
    scheduled_failures = sum(1 for k in keys if respond(k, 1) == 503)
    assert sum(1 for a in sink.arrivals if a.status == 503) == scheduled_failures
    # Raw arrivals: one per key, one more per scheduled 503, plus the re-sends of entries a
    # killed server had sent (the receiver accepted them) but not yet marked delivered: each
    # kill comes right after an acceptance, so there is at least one.
    resent = len(sink.arrivals) - total - scheduled_failures
    assert resent >= 1
    assert sum(1 for a in sink.arrivals if a.status == 200) == total + resent
    for arrival in sink.arrivals:
        assert arrival.body["key"] == arrival.key
