"""The deliverer on a fake clock: outcomes, the backoff schedule, dead letters, rate limits."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from shopstream.core import CustomerId, FakeClock
from shopstream.decide import Activation
from shopstream.deliver import (
    Backoff,
    Deliverer,
    EntryStatus,
    MemoryOutbox,
    OutcomeStatus,
    Receipt,
    Recipient,
    TokenBucket,
)

T0 = datetime(2026, 11, 25, 10, tzinfo=UTC)


class MockChannel:
    """Answers with ``handler(activation)`` and remembers what it was asked to send."""

    def __init__(self, handler: Callable[[Activation], Receipt]) -> None:
        self.handler = handler
        self.sent: list[str] = []

    async def send(self, activation: Activation, recipient: Recipient) -> Receipt:
        self.sent.append(activation.key)
        return self.handler(activation)


class NoRecipients:
    def recipient(self, activation: Activation) -> Recipient:
        return Recipient(activation.customer_id)


def activation(key: str, channel: str = "webhook") -> Activation:
    return Activation(key, CustomerId("c1"), channel, "offer", "t1", None, "d1", {}, T0)


def deliverer(
    outbox: MemoryOutbox, channels: dict[str, MockChannel], clock: FakeClock, **kwargs: object
) -> Deliverer:
    return Deliverer(
        outbox, channels, NoRecipients(), clock=clock,
        monotonic=lambda: (clock.now() - T0).total_seconds(), seed=3, **kwargs,  # type: ignore[arg-type]
    )  # fmt: skip


async def test_outcomes_are_recorded_per_receipt() -> None:
    outbox, clock = MemoryOutbox(), FakeClock(T0)
    answers = {"a": Receipt.delivered("200"), "b": Receipt.sent("202"),
               "c": Receipt.reject("400 from the receiver")}  # fmt: skip
    channel = MockChannel(lambda a: answers[a.key])
    outbox.put([activation(k) for k in "abc"])
    assert await deliverer(outbox, {"webhook": channel}, clock).deliver_due() == 3
    statuses = {o.key: o.status for o in outbox.outcomes()}
    assert statuses == {"a": OutcomeStatus.DELIVERED, "b": OutcomeStatus.SENT,
                        "c": OutcomeStatus.DEAD}  # fmt: skip
    dead = outbox.get("c")
    assert dead is not None
    assert (dead.status, dead.last_error) == (EntryStatus.DEAD, "400 from the receiver")


async def test_failures_follow_the_backoff_schedule_then_dead_letter() -> None:
    outbox, clock = MemoryOutbox(), FakeClock(T0)
    channel = MockChannel(lambda a: Receipt.retry("503 from the receiver"))
    schedule = Backoff(base_seconds=1, factor=2, max_seconds=10, jitter=0.5, max_attempts=5)
    d = deliverer(outbox, {"webhook": channel}, clock, backoff=schedule)
    outbox.put([activation("a")])
    expected_rng = random.Random(3)
    waits = []
    for attempt in range(1, 6):
        assert await d.deliver_due() == 1
        entry = outbox.get("a")
        assert entry is not None
        if attempt < 5:
            wait = (entry.due_at - clock.now()).total_seconds()
            waits.append(wait)
            assert wait == pytest.approx(schedule.delay(attempt, expected_rng), abs=1e-6)
            clock.advance(seconds=wait - 0.01)
            assert await d.deliver_due() == 0  # not due yet
            clock.advance(seconds=0.01)
    assert entry.status is EntryStatus.DEAD
    assert entry.last_error == "gave up after 5 attempts: 503 from the receiver"
    ceilings = [1, 2, 4, 8]
    assert all(c / 2 <= w <= c for w, c in zip(waits, ceilings, strict=True))
    assert channel.sent == ["a"] * 5
    assert [o.status for o in outbox.outcomes()] == [OutcomeStatus.FAILED] * 4 + [
        OutcomeStatus.DEAD
    ]


async def test_retry_after_from_the_receiver_is_honoured() -> None:
    outbox, clock = MemoryOutbox(), FakeClock(T0)
    channel = MockChannel(lambda a: Receipt.retry("429 from the receiver", retry_after=30))
    d = deliverer(outbox, {"webhook": channel}, clock, backoff=Backoff(base_seconds=1))
    outbox.put([activation("a")])
    await d.deliver_due()
    entry = outbox.get("a")
    assert entry is not None
    assert entry.due_at == T0 + timedelta(seconds=30)


async def test_a_channel_that_raises_is_retried_and_others_go_on() -> None:
    def broken(a: Activation) -> Receipt:
        raise RuntimeError("adapter bug")

    outbox, clock = MemoryOutbox(), FakeClock(T0)
    good = MockChannel(lambda a: Receipt.delivered())
    d = deliverer(outbox, {"webhook": MockChannel(broken), "sms": good}, clock)
    outbox.put([activation("a"), activation("b", "sms")])
    assert await d.deliver_due() == 2
    a, b = outbox.get("a"), outbox.get("b")
    assert a is not None and b is not None
    assert (a.status, a.last_error) == (EntryStatus.PENDING, "RuntimeError in the webhook channel")
    assert b.status is EntryStatus.DELIVERED


async def test_rate_limits_hold_per_channel() -> None:
    outbox, clock = MemoryOutbox(), FakeClock(T0)
    slow, fast = MockChannel(lambda a: Receipt.sent()), MockChannel(lambda a: Receipt.delivered())
    limits = {"sms": TokenBucket(rate=2, burst=3), "webhook": TokenBucket(rate=1000, burst=1000)}
    d = deliverer(outbox, {"sms": slow, "webhook": fast}, clock, limits=limits)
    outbox.put([activation(f"s{i}", "sms") for i in range(10)])
    outbox.put([activation(f"w{i}") for i in range(10)])
    assert await d.deliver_due() == 3 + 10
    assert await d.deliver_due() == 0
    clock.advance(seconds=1)
    assert await d.deliver_due() == 2
    clock.advance(seconds=10)
    assert await d.deliver_due() == 3  # a burst of at most 3, however long it waited
    assert len(slow.sent) == 8
    assert outbox.counts()[EntryStatus.PENDING] == 2


async def test_unconfigured_channels_stay_pending() -> None:
    outbox, clock = MemoryOutbox(), FakeClock(T0)
    d = deliverer(outbox, {"webhook": MockChannel(lambda a: Receipt.delivered())}, clock)
    outbox.put([activation("a", "push")])
    assert await d.deliver_due() == 0
    assert outbox.counts()[EntryStatus.PENDING] == 1


async def test_a_held_out_customer_is_never_sent_to() -> None:
    outbox, clock = MemoryOutbox(), FakeClock(T0)
    channel = MockChannel(lambda a: Receipt.delivered())
    d = deliverer(outbox, {"webhook": channel}, clock,
                  held_out=lambda a: "held out by experiment x" if a.key == "b" else None)  # fmt: skip
    outbox.put([activation("a"), activation("b")])
    await d.deliver_due()
    assert channel.sent == ["a"]
    b = outbox.get("b")
    assert b is not None
    assert (b.status, b.last_error) == (EntryStatus.DEAD, "held out by experiment x")


async def test_a_slow_receiver_holds_up_only_its_own_activation() -> None:
    outbox = MemoryOutbox()
    release = asyncio.Event()

    class Gated:
        async def send(self, activation: Activation, recipient: Recipient) -> Receipt:
            if activation.key == "slow":
                await release.wait()
            return Receipt.delivered()

    d = Deliverer(outbox, {"webhook": Gated()}, NoRecipients(), poll_seconds=0.01)
    running = asyncio.create_task(d.run())
    try:
        outbox.put([activation("slow")])
        outbox.put([activation("fast")])  # written while "slow" is still being sent
        async with asyncio.timeout(10):
            while outbox.counts()[EntryStatus.DELIVERED] < 1:
                await asyncio.sleep(0.01)
        fast, slow = outbox.get("fast"), outbox.get("slow")
        assert fast is not None and slow is not None
        assert (fast.status, slow.status) == (EntryStatus.DELIVERED, EntryStatus.PENDING)
        release.set()
        async with asyncio.timeout(10):
            while outbox.counts()[EntryStatus.DELIVERED] < 2:
                await asyncio.sleep(0.01)
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
