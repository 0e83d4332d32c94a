"""One suite over every :class:`Outbox`: put is idempotent by key, claims lease, outcomes kept."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopstream.core import CustomerId
from shopstream.decide import Activation
from shopstream.deliver import EntryStatus, MemoryOutbox, Outbox, OutcomeStatus
from shopstream.storage.sqlite import SQLiteOutbox

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


def activation(key: str, *, channel: str = "webhook", at: datetime = T0) -> Activation:
    return Activation(
        key, CustomerId(f"c-{key}"), channel, "offer", "cart-abandon", "10off", f"d-{key}",
        {"items": ["p1", "p2"], "n": 3}, at,
    )  # fmt: skip


@pytest.fixture(params=["memory", "sqlite"])
def outbox(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Outbox]:
    if request.param == "memory":
        yield MemoryOutbox()
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


def test_the_sqlite_outbox_keeps_everything_across_a_reopen(tmp_path: Path) -> None:
    box = SQLiteOutbox(tmp_path / "outbox.db")
    box.put([activation("a"), activation("b")])
    box.claim(now=T0, limit=1, lease=LEASE)
    box.delivered("a", OutcomeStatus.DELIVERED, now=T0)
    box.close()
    again = SQLiteOutbox(tmp_path / "outbox.db")
    assert again.put([activation("a")]) == 0
    assert again.counts()[EntryStatus.DELIVERED] == 1
    assert [e.activation.key for e in again.claim(now=T0, limit=10, lease=LEASE)] == ["b"]
    again.close()
