"""The Redis online state: each event applied at most once, atomically, fenced by leases;
the state reached does not depend on how partitions interleave, nor on applied bitmaps being
dropped below what was applied."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shopstream.core import Offset, stable_hash
from shopstream.events import Message
from shopstream.scaleout import LeaseLost, RebuildPlan, online_update
from shopstream.storage.redis.leases import RedisLeases
from shopstream.storage.redis.online import RedisOnlineState
from shopstream.testing import REDIS_URL, scaleout_namespace

from .traffic import traffic

pytestmark = pytest.mark.integration

PARTITIONS = 4


def partition_of(message: Message) -> int:
    first = message.identities[0]
    return stable_hash(f"{first.type}:{first.value}") % PARTITIONS


class Harness:
    def __init__(self, client: aioredis.Redis, prefix: str, bits_per_key: int = 2**24) -> None:
        self.leases = RedisLeases(client, prefix)
        self.state = RedisOnlineState(client, prefix, self.leases, bits_per_key=bits_per_key)
        self.prefix = prefix
        self.fences: dict[int, str] = {}

    async def take_all(self) -> None:
        for p in range(PARTITIONS):
            token = await self.leases.acquire(p, "t", 60_000)
            assert token is not None
            self.fences[p] = token
        await mark_whole(self.state)

    async def apply(self, events: list[tuple[int, Message]]) -> None:
        updates = [online_update(Offset(o), m) for o, m in events]
        await self.state.apply(updates, self.fences)

    async def snapshot(self) -> dict[str, object]:
        return await self.state.snapshot()  # keys named without the prefix


async def mark_whole(state: RedisOnlineState) -> None:
    """A new state, rebuilt from an empty archive: whole, so events may be applied."""
    token = await state.take_rebuild("t", 60_000)
    assert token is not None
    assert await state.plan_rebuild(token, RebuildPlan((), 0, Offset(0), 0)) is not None
    await state.finish_rebuild(token, Offset(0))


@pytest.fixture
async def client() -> AsyncIterator[aioredis.Redis]:
    c = aioredis.Redis.from_url(REDIS_URL)
    yield c
    await c.aclose()


async def fresh(
    client: aioredis.Redis, stack: contextlib.ExitStack, bits_per_key: int = 2**24
) -> Harness:
    """A harness under a fresh prefix (removed when ``stack`` closes) holding every lease."""
    harness = Harness(client, stack.enter_context(scaleout_namespace()).prefix, bits_per_key)
    await harness.take_all()
    return harness


def interleave(events: list[tuple[int, Message]], seed: int) -> list[list[tuple[int, Message]]]:
    """Batches that keep each partition in offset order but mix partitions at random."""
    queues: dict[int, list[tuple[int, Message]]] = {}
    for event in events:
        queues.setdefault(partition_of(event[1]), []).append(event)
    rng = random.Random(seed)
    batches = []
    while any(queues.values()):
        p = rng.choice([p for p, q in queues.items() if q])
        take = rng.randint(1, 15)
        batches.append(queues[p][:take])
        queues[p] = queues[p][take:]
    return batches


async def test_a_replayed_batch_changes_nothing(client: aioredis.Redis) -> None:
    events = list(enumerate(traffic(300, seed=3), start=1))
    with contextlib.ExitStack() as stack:
        harness = await fresh(client, stack)
        await harness.apply(events)
        once = await harness.snapshot()
        await harness.apply(events[100:200])
        await harness.apply(events)
        assert await harness.snapshot() == once
        assert sum(int(v["events"]) for k, v in once.items() if k.startswith("prof:")) == 300  # type: ignore[index]


async def test_a_lost_lease_applies_nothing(client: aioredis.Redis) -> None:
    events = list(enumerate(traffic(20, seed=4), start=1))
    with contextlib.ExitStack() as stack:
        harness = await fresh(client, stack)
        await harness.leases.release(0, harness.fences[0])
        await harness.leases.acquire(0, "someone-else", 60_000)
        with pytest.raises(LeaseLost):
            await harness.apply(events)
        assert await harness.snapshot() == {}


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**16), mix=st.integers(0, 2**16))
def test_any_interleaving_of_partitions_reaches_the_sequential_state(seed: int, mix: int) -> None:
    events = list(enumerate(traffic(250, seed=seed, shoppers=12, products=8), start=1))

    async def run() -> tuple[dict[str, object], dict[str, object]]:
        c = aioredis.Redis.from_url(REDIS_URL)
        try:
            with contextlib.ExitStack() as stack:
                a, b = await fresh(c, stack), await fresh(c, stack)
                await a.apply(events)
                for batch in interleave(events, mix):
                    await b.apply(batch)
                return await a.snapshot(), await b.snapshot()
        finally:
            await c.aclose()

    sequential, interleaved = asyncio.run(run())
    assert interleaved == sequential


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**16), mix=st.integers(0, 2**16))
def test_replays_around_dropped_bitmaps_reach_the_sequential_state(seed: int, mix: int) -> None:
    """Batches in any partition interleaving; now and then the bitmaps below what was applied
    are dropped, and an earlier batch (below or above that) is delivered again."""
    events = list(enumerate(traffic(200, seed=seed, shoppers=12, products=8), start=1))
    rng = random.Random(mix)

    async def run() -> tuple[dict[str, object], dict[str, object], int]:
        c = aioredis.Redis.from_url(REDIS_URL)
        try:
            with contextlib.ExitStack() as stack:
                a, b = await fresh(c, stack), await fresh(c, stack, bits_per_key=8)
                await a.apply(events)
                done: list[list[tuple[int, Message]]] = []
                applied: set[int] = set()
                dropped = 0
                for batch in interleave(events, mix):
                    await b.apply(batch)
                    done.append(batch)
                    applied |= {o for o, _ in batch}
                    prefix = next(o for o in range(1, len(events) + 2) if o not in applied) - 1
                    if rng.random() < 0.3:
                        dropped += await b.state.forget_applied(Offset(rng.randint(0, prefix)))
                    if rng.random() < 0.3:
                        await b.apply(rng.choice(done))
                dropped += await b.state.forget_applied(Offset(len(events)))
                await b.apply(events)  # everything again, its bitmaps all dropped but the last
                return await a.snapshot(), await b.snapshot(), dropped
        finally:
            await c.aclose()

    sequential, interleaved, dropped = asyncio.run(run())
    assert interleaved == sequential
    assert dropped == (len(events) + 1) // 8
