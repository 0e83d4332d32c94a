"""The outbox on PostgreSQL against SQLite: a trigger's put, and deliverers draining it.

- put: one activation a call, committed before it returns, as a firing trigger puts it (on the
  stream's path); each call timed alone. SQLite with ``fsync=full`` (the embedded default) and
  PostgreSQL (the server's own ``synchronous_commit``). Baselines in the same run on the same
  PostgreSQL: a ``SELECT 1`` round trip, and the same row as a plain ``INSERT ... VALUES`` into
  a copy of the outbox table (its indexes too), committed in its own transaction (the floor:
  what the commit costs).
- drain: ``DRAIN`` pending entries claimed 100 at a time and settled as delivered (no
  sending), by one deliverer on SQLite and by 1 and 2 deliverers on PostgreSQL (two outboxes
  on separate connections, in threads, as two ``serve`` processes would).

    python benchmarks/outbox.py            # 2,000 puts, 20,000 entries drained
    python benchmarks/outbox.py --quick    # 200 puts, 2,000 entries (CI)
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import psycopg

from _common import percentile, table, write_result
from shopstream.core import CustomerId
from shopstream.decide import Activation
from shopstream.deliver import OutcomeStatus, Settlement
from shopstream.storage.postgres import PostgresOutbox, migrate
from shopstream.storage.sqlite import SQLiteOutbox
from shopstream.testing import POSTGRES_URL, scaleout_namespace

T0 = datetime(2026, 11, 25, 10, tzinfo=UTC)
LEASE = timedelta(seconds=60)

Box = SQLiteOutbox | PostgresOutbox


def activation(key: str) -> Activation:
    payload = {"trigger": {"id": "cart-abandonment", "type": "absence"},
               "offer": {"id": "cart-10-off", "content": {"title": "10% off your cart"}},
               "reason": "absence trigger cart-abandonment; linucb", "propensity": 0.42,
               "ranked": [{"id": "cart-10-off", "propensity": 0.42, "score": 1.3}]}  # fmt: skip
    return Activation(key, CustomerId(f"c-{key}"), "email", "offer", "cart-abandonment",
                      "cart-10-off", f"d-{key}", payload, T0)  # fmt: skip


def timed_ms(calls: int, call: Callable[[int], object]) -> list[float]:
    times = []
    for i in range(calls):
        start = time.perf_counter_ns()
        call(i)
        times.append((time.perf_counter_ns() - start) / 1e6)
    return times


def drain(boxes: list[Box]) -> float:
    """Entries a second, every box claiming and settling from its own thread until empty."""
    done = [0] * len(boxes)

    def work(i: int, box: Box) -> None:
        while entries := box.claim(now=T0, limit=100, lease=LEASE):
            box.settle([Settlement(e.activation.key, OutcomeStatus.DELIVERED) for e in entries],
                       now=T0)  # fmt: skip
            done[i] += len(entries)

    threads = [threading.Thread(target=work, args=(i, b)) for i, b in enumerate(boxes)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.perf_counter() - start)


def fill(box: Box, n: int, tag: str) -> None:
    for start in range(0, n, 500):
        box.put([activation(f"{tag}-{i}") for i in range(start, min(n, start + 500))])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    puts, entries = (200, 2_000) if args.quick else (2_000, 20_000)
    figures: dict[str, object] = {"quick": args.quick, "puts": puts, "drained": entries}
    with tempfile.TemporaryDirectory() as tmp, scaleout_namespace() as ns:
        migrate(POSTGRES_URL, ns.schema)
        with psycopg.connect(POSTGRES_URL, options=f"-c search_path={ns.schema}") as conn:
            conn.execute("CREATE TABLE floor (LIKE outbox INCLUDING ALL)")
            conn.commit()
            select = timed_ms(puts, lambda i: conn.execute("SELECT 1").fetchone())
            conn.commit()

            def insert(i: int) -> None:
                a = activation(f"floor-{i}")
                conn.execute(
                    "INSERT INTO floor (key, customer_id, channel, kind, trigger_id, offer_id,"
                    " decision_id, payload, at, status, due_at, updated_at) VALUES"
                    " (%s, %s, %s, %s, %s, %s, %s, %s, %s, 'pending', %s, %s)",
                    (a.key, a.customer_id, a.channel, a.kind, a.trigger_id, a.offer_id,
                     a.decision_id, orjson.dumps(dict(a.payload)), a.at, a.at, a.at),
                )  # fmt: skip
                conn.commit()

            floor = timed_ms(puts, insert)
        lite = SQLiteOutbox(Path(tmp) / "outbox.db", fsync="full")
        pg = PostgresOutbox(POSTGRES_URL, ns.schema)
        lite_put = timed_ms(puts, lambda i: lite.put([activation(f"put-{i}")]))
        pg_put = timed_ms(puts, lambda i: pg.put([activation(f"put-{i}")]))
        rows = [["put, one activation (ms)", "p50", "p99"]]
        for name, times in (("PostgreSQL SELECT 1 (floor)", select),
                            ("PostgreSQL plain INSERT of the row + commit (floor)", floor),
                            ("SQLiteOutbox.put, fsync=full", lite_put),
                            ("PostgresOutbox.put", pg_put)):  # fmt: skip
            p50, p99 = percentile(times, 50), percentile(times, 99)
            rows.append([name, f"{p50:.2f}", f"{p99:.2f}"])
            figures[name] = {"p50_ms": round(p50, 3), "p99_ms": round(p99, 3)}
        print(table(rows))

        rates: dict[str, float] = {}
        fill(lite, entries, "drain")
        rates["SQLite, 1 deliverer"] = drain([lite])
        fill(pg, entries, "drain1")
        rates["PostgreSQL, 1 deliverer"] = drain([pg])
        second = PostgresOutbox(POSTGRES_URL, ns.schema)
        fill(pg, entries, "drain2")
        rates["PostgreSQL, 2 deliverers"] = drain([pg, second])
        for box in (lite, pg, second):
            box.close()
    rows = [["drain: claim 100 + settle", "entries/s"]]
    rows += [[name, f"{rate:,.0f}"] for name, rate in rates.items()]
    print(table(rows))
    figures["drain_per_second"] = {name: round(rate) for name, rate in rates.items()}
    print(f"wrote {write_result('outbox', figures)}")


if __name__ == "__main__":
    main()
