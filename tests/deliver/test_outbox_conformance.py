"""One suite over every :class:`Outbox`: put is idempotent by key, claims lease, outcomes kept.

The PostgreSQL runs use the real server, each in a fresh schema; the concurrency test there has
deliverers on separate connections claim from one outbox at once.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopstream.core import CustomerId
from shopstream.decide import Activation
from shopstream.deliver import (
    Deliverer,
    EntryStatus,
    MemoryOutbox,
    Outbox,
    OutcomeStatus,
    Receipt,
    Recipient,
    Settlement,
)
from shopstream.storage.postgres import PostgresOutbox, migrate
from shopstream.storage.sqlite import SQLiteOutbox
from shopstream.testing import POSTGRES_URL, TcpProxy, scaleout_namespace

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


def activation(key: str, *, channel: str = "webhook", at: datetime = T0) -> Activation:
    return Activation(
        key, CustomerId(f"c-{key}"), channel, "offer", "cart-abandon", "10off", f"d-{key}",
        {"items": ["p1", "p2"], "n": 3}, at,
    )  # fmt: skip


@pytest.fixture
def schema() -> Iterator[str]:
    with scaleout_namespace() as ns:
        migrate(POSTGRES_URL, ns.schema)
        yield ns.schema


@pytest.fixture
def open_outbox(schema: str) -> Iterator[Callable[[], PostgresOutbox]]:
    """Opens PostgreSQL outboxes on ``schema``, each on its own connection; closes them."""
    opened: list[PostgresOutbox] = []

    def open_one() -> PostgresOutbox:
        opened.append(PostgresOutbox(POSTGRES_URL, schema))
        return opened[-1]

    yield open_one
    for box in opened:
        box.close()


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.integration)]
)
def outbox(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Outbox]:
    if request.param == "memory":
        yield MemoryOutbox()
        return
    if request.param == "postgres":
        pg = PostgresOutbox(POSTGRES_URL, request.getfixturevalue("schema"))
        yield pg
        pg.close()
        return
    box = SQLiteOutbox(tmp_path / "outbox.db")
    yield box
    box.close()


def test_put_ignores_a_key_already_held(outbox: Outbox) -> None:
    woken: list[int] = []
    outbox.watch(lambda: woken.append(1))
    assert outbox.put([activation("a"), activation("b")]) == 2
    assert outbox.put([activation("a"), activation("c")]) == 1
    assert outbox.put([activation("a")]) == 0
    assert len(woken) == 2
    entry = outbox.get("a")
    assert entry is not None
    assert entry.activation == activation("a")
    assert entry.status is EntryStatus.PENDING
    assert [e.activation.key for e in outbox.entries()] == ["a", "b", "c"]


def test_claim_leases_due_entries_once_until_the_lease_runs_out(outbox: Outbox) -> None:
    outbox.put([activation("a"), activation("b", at=T0 + timedelta(seconds=5))])
    first = outbox.claim(now=T0, limit=10, lease=LEASE)
    assert [(e.activation.key, e.attempts) for e in first] == [("a", 1)]
    assert outbox.claim(now=T0 + timedelta(seconds=1), limit=10, lease=LEASE) == []
    later = outbox.claim(now=T0 + timedelta(seconds=31), limit=10, lease=LEASE)
    assert [(e.activation.key, e.attempts) for e in later] == [("a", 2), ("b", 1)]


def test_claim_respects_limit_and_channels(outbox: Outbox) -> None:
    outbox.put([activation(f"k{i}", channel="sms" if i % 2 else "webhook") for i in range(6)])
    sms = outbox.claim(now=T0, limit=10, lease=LEASE, channels={"sms"})
    assert {e.activation.channel for e in sms} == {"sms"}
    assert len(sms) == 3
    assert len(outbox.claim(now=T0, limit=2, lease=LEASE)) == 2


def test_outcomes_move_entries_and_are_kept_in_order(outbox: Outbox) -> None:
    outbox.put([activation("a"), activation("b"), activation("c")])
    outbox.claim(now=T0, limit=10, lease=LEASE)
    outbox.delivered("a", OutcomeStatus.DELIVERED, now=T0, detail="200")
    outbox.failed("b", error="503 from receiver", retry_at=T0 + timedelta(seconds=2), now=T0)
    outbox.dead("c", error="400 from receiver", now=T0)
    counts = outbox.counts()
    assert counts == {EntryStatus.PENDING: 1, EntryStatus.DELIVERED: 1, EntryStatus.DEAD: 1}
    b = outbox.get("b")
    assert b is not None
    assert (b.status, b.last_error, b.due_at) == (
        EntryStatus.PENDING, "503 from receiver", T0 + timedelta(seconds=2),
    )  # fmt: skip
    assert outbox.next_due() == T0 + timedelta(seconds=2)
    assert [e.activation.key for e in outbox.entries(status=EntryStatus.DEAD)] == ["c"]
    outcomes = outbox.outcomes()
    assert [(o.key, o.status) for o in outcomes] == [
        ("a", OutcomeStatus.DELIVERED), ("b", OutcomeStatus.FAILED), ("c", OutcomeStatus.DEAD),
    ]  # fmt: skip
    assert outcomes[0].customer_id == "c-a"
    assert outcomes[0].offer_id == "10off"
    assert [o.key for o in outbox.outcomes(after=outcomes[0].id)] == ["b", "c"]


def test_nothing_pending_means_no_next_due(outbox: Outbox) -> None:
    assert outbox.next_due() is None
    outbox.put([activation("a")])
    outbox.delivered("a", OutcomeStatus.SENT, now=T0)
    assert outbox.next_due() is None


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.sampled_from("abcdefgh"), max_size=5), max_size=8))
def test_puts_replayed_in_any_batches_store_each_key_once(batches: list[list[str]]) -> None:
    box = MemoryOutbox()
    new = sum(box.put([activation(k) for k in batch]) for batch in batches)
    new += sum(box.put([activation(k) for k in batch]) for batch in batches)
    held = {k for batch in batches for k in batch}
    assert new == len(held)
    assert sorted(e.activation.key for e in box.entries(limit=100)) == sorted(held)


@pytest.mark.parametrize(
    "kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.integration)]
)
def test_the_outbox_keeps_everything_across_a_reopen(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    def open_box() -> SQLiteOutbox | PostgresOutbox:
        if kind == "sqlite":
            return SQLiteOutbox(tmp_path / "outbox.db")
        return PostgresOutbox(POSTGRES_URL, request.getfixturevalue("schema"))

    box = open_box()
    box.put([activation("a"), activation("b")])
    box.claim(now=T0, limit=1, lease=LEASE)
    box.delivered("a", OutcomeStatus.DELIVERED, now=T0)
    box.close()
    again = open_box()
    assert again.put([activation("a")]) == 0
    assert again.counts()[EntryStatus.DELIVERED] == 1
    assert [e.activation.key for e in again.claim(now=T0, limit=10, lease=LEASE)] == ["b"]
    assert [o.key for o in again.outcomes()] == ["a"]
    again.close()


@pytest.mark.integration
def test_deliverers_on_separate_connections_never_claim_one_entry_twice(
    open_outbox: Callable[[], PostgresOutbox],
) -> None:
    """Four outboxes (four connections) claim from one table at once, in small batches, as
    deliverers in four ``serve`` processes would; each entry is leased by exactly one."""
    boxes = [open_outbox() for _ in range(4)]
    keys = [f"k{i:04d}" for i in range(600)]
    boxes[0].put([activation(k, channel="sms" if i % 3 else "webhook") for i, k in enumerate(keys)])
    claimed: list[list[str]] = [[] for _ in boxes]
    start = threading.Barrier(len(boxes))

    def drain(box: PostgresOutbox, mine: list[str]) -> None:
        start.wait()
        while entries := box.claim(now=T0, limit=7, lease=LEASE):
            mine += [e.activation.key for e in entries]
            box.settle(
                [Settlement(e.activation.key, OutcomeStatus.DELIVERED) for e in entries], now=T0
            )

    threads = [
        threading.Thread(target=drain, args=(b, m)) for b, m in zip(boxes, claimed, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [k for mine in claimed for k in mine]
    assert sorted(every) == keys  # each once, none lost
    assert sum(1 for mine in claimed if mine) >= 2  # they did race
    assert boxes[1].counts() == {
        EntryStatus.PENDING: 0,
        EntryStatus.DELIVERED: 600,
        EntryStatus.DEAD: 0,
    }
    assert len(boxes[2].outcomes(limit=1000)) == 600


@pytest.mark.integration
async def test_two_running_deliverers_send_each_activation_once(
    open_outbox: Callable[[], PostgresOutbox],
) -> None:
    """Two :class:`Deliverer` loops, each on its own outbox connection, drain one outbox
    while activations keep arriving; the channel sees every key exactly once."""
    sent: list[str] = []

    class Recording:
        async def send(self, a: Activation, recipient: Recipient) -> Receipt:
            sent.append(a.key)
            await asyncio.sleep(0.001)
            return Receipt.delivered("200")

    class Everyone:
        def recipient(self, a: Activation) -> Recipient:
            return Recipient(a.customer_id)

    boxes = [open_outbox() for _ in range(2)]
    deliverers = [Deliverer(b, {"webhook": Recording()}, Everyone(), batch=5, poll_seconds=0.02)
                  for b in boxes]  # fmt: skip
    tasks = [asyncio.create_task(d.run()) for d in deliverers]
    now = datetime.now(UTC)
    for n in range(0, 300, 30):
        await asyncio.to_thread(
            boxes[n // 30 % 2].put, [activation(f"k{i:03d}", at=now) for i in range(n, n + 30)]
        )
        await asyncio.sleep(0.01)
    for _ in range(500):
        if boxes[0].counts()[EntryStatus.DELIVERED] == 300:
            break
        await asyncio.sleep(0.02)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert sorted(sent) == [f"k{i:03d}" for i in range(300)]
    assert boxes[1].counts()[EntryStatus.DELIVERED] == 300


@pytest.mark.integration
def test_activations_put_while_postgres_is_away_are_written_when_it_is_back(schema: str) -> None:
    """``put`` runs in the stream's path: it holds what it cannot write instead of failing,
    and its thread writes it (waking the deliverer) once PostgreSQL answers again."""
    host_port = POSTGRES_URL.split("//", 1)[1].split("/", 1)[0]
    port = int(host_port.rpartition(":")[2]) if ":" in host_port else 5432
    with TcpProxy("127.0.0.1", port) as proxy:
        box = PostgresOutbox(proxy.url_for(POSTGRES_URL), schema, retry_seconds=0.05)
        woken = threading.Event()
        box.watch(woken.set)
        try:
            assert box.put([activation("a")]) == 1
            woken.clear()
            proxy.cut()
            assert box.put([activation("b"), activation("c")]) == 0
            assert not woken.wait(0.3)
            proxy.restore()
            assert woken.wait(10)
            assert [e.activation.key for e in box.entries()] == ["a", "b", "c"]
            assert box.put([activation("b")]) == 0
        finally:
            box.close()


@pytest.mark.integration
def test_while_activations_are_held_later_ones_queue_behind_them(schema: str) -> None:
    """Once PostgreSQL failed a put, the next puts do not try it (on the stream's path a
    connection attempt can take seconds): they queue, in order, for the writer thread."""
    host_port = POSTGRES_URL.split("//", 1)[1].split("/", 1)[0]
    port = int(host_port.rpartition(":")[2]) if ":" in host_port else 5432
    with TcpProxy("127.0.0.1", port) as proxy:
        box = PostgresOutbox(proxy.url_for(POSTGRES_URL), schema, retry_seconds=3600)
        try:
            assert box.put([activation("a")]) == 1
            proxy.cut()
            assert box.put([activation("b")]) == 0
            proxy.restore()
            assert box.put([activation("c"), activation("a")]) == 0
            assert [e.activation.key for e in box.entries()] == ["a"]
        finally:
            box.close()  # writes what is held
    again = PostgresOutbox(POSTGRES_URL, schema)
    try:
        assert [e.activation.key for e in again.entries()] == ["a", "b", "c"]
    finally:
        again.close()
