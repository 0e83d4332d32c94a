"""A scale-out worker: one of any number of processes applying the log to the shared state.

Each worker owns a fair share of the log's partitions through expiring leases, so each
partition is applied by one worker at a time, in log order. For every batch it reads (a
consumer group over its partitions) it applies the events to the online state (atomically,
at most once, fenced by its leases), archives them, and only then acknowledges them. When a
worker dies its leases expire; whoever takes a partition first claims (XAUTOCLAIM) the
entries the dead worker had read and not acknowledged, then reads on. Any worker trims the
streams, now and then, up to what every partition has acknowledged, hence archived, drops the
online state's record of which offsets below that were applied, moves the identity merges
the online state recorded into the archive, and archives the dead letters still in the log,
then trims them.

A crash anywhere redelivers a batch, and redelivery changes nothing: the online state skips
offsets it applied, the archive keeps one row per offset.

When the online state is not whole (Redis restarted empty), the workers apply nothing until
one of them has rebuilt it from the archive (:mod:`shopstream.scaleout.rebuild`); the batches
they read meanwhile stay pending and are claimed once it is done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from shopstream.core import CustomerId, Offset, stable_hash
from shopstream.log import LogUnavailable
from shopstream.scaleout.errors import LeaseLost, OnlineStateLost
from shopstream.scaleout.rebuild import rebuild_online_state
from shopstream.scaleout.store import (
    Archive,
    ArchivedEvent,
    Entry,
    Leases,
    OnlineState,
    PartitionedLog,
)
from shopstream.scaleout.updates import online_update

logger = logging.getLogger(__name__)


@dataclass
class WorkerStats:
    processed: int = 0
    claimed: int = 0
    batches: int = 0
    trimmed_to: int = 0
    lost_leases: int = 0
    errors: int = 0
    rebuilt: int = 0  # events this worker replayed from the archive into the online state
    started: float = field(default_factory=time.monotonic)


class Worker:
    """Runs until :meth:`stop`.

    Args:
        name: this worker's consumer name; unique among live workers.
        lease_ms: how long a dead worker's partitions wait before others take them.
    """

    def __init__(
        self,
        log: PartitionedLog,
        state: OnlineState,
        archive: Archive,
        leases: Leases,
        *,
        name: str,
        group: str = "workers",
        batch: int = 500,
        block_ms: int = 200,
        lease_ms: int = 5_000,
        trim_every: float = 2.0,
    ) -> None:
        self._log = log
        self._state = state
        self._archive = archive
        self._leases = leases
        self.name = name
        self.group = group
        self._batch = batch
        self._block_ms = block_ms
        self._lease_ms = lease_ms
        self._trim_every = trim_every
        self.owned: dict[int, str] = {}  # partition -> fencing token
        self._unclaimed: set[int] = set()  # owned partitions whose pending entries come first
        self._renewed = 0.0
        self._trimmed = time.monotonic()
        self._stopping = asyncio.Event()
        self._inflight: asyncio.Task[None] | None = None
        self._whole = False  # the online state was seen whole (and not lost since)
        self.stats = WorkerStats()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        backoff = 0.05
        try:
            while not self._stopping.is_set():
                try:
                    await self.step()
                    backoff = 0.05
                except LogUnavailable as exc:  # Redis or PostgreSQL away: retry, keep nothing
                    self.stats.errors += 1
                    with contextlib.suppress(LogUnavailable):
                        await self.settle()
                    self._unclaimed |= set(self.owned)
                    logger.warning("%s: %s; retrying in %.2f s", self.name, exc, backoff)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 2.0)
        finally:
            await self._release_all()

    async def step(self) -> int:
        """Balance leases, apply what is pending, then one read; the events applied."""
        await self._balance()
        if not self._whole and not await self._rebuilt():
            await asyncio.sleep(self._lease_ms / 5000)  # another worker is rebuilding it
            return 0
        applied = 0
        for partition in sorted(self._unclaimed):
            entries = await self._log.claim(self.group, self.name, partition)
            if entries:
                self.stats.claimed += len(entries)
                logger.info("%s claimed %d pending entries of partition %d",
                            self.name, len(entries), partition)  # fmt: skip
                applied += await self._process(entries)
            self._unclaimed.discard(partition)
        if not self.owned:
            await asyncio.sleep(self._lease_ms / 5000)
            return applied
        entries = await self._log.group_read(
            self.group, self.name, self._batch, self._block_ms, partitions=sorted(self.owned)
        )
        if entries:
            applied += await self._process(entries)
        if time.monotonic() - self._trimmed >= self._trim_every:
            await self.settle()
            self._trimmed = time.monotonic()
            self.stats.trimmed_to = int(await self._log.trim_archived(self.group))
            await self._state.forget_applied(Offset(self.stats.trimmed_to))
            await self.drain_merges()
            await self.archive_dead_letters()
        return applied

    async def _process(self, entries: Sequence[Entry]) -> int:
        fences = {
            e.partition: self.owned[e.partition] for e in entries if e.partition in self.owned
        }
        mine = [e for e in entries if e.partition in fences]
        if not mine:
            return 0
        updates = [online_update(e.offset, e.message) for e in mine]
        try:
            customers = await self._state.apply(updates, fences)
        except LeaseLost as exc:
            self.stats.lost_leases += 1
            logger.warning("%s: %s", self.name, exc)
            await self.settle()
            await self._renew()  # forget the partitions that moved; their owner claims the batch
            return 0
        except OnlineStateLost as exc:
            logger.warning("%s: %s", self.name, exc)
            self._whole = False
            self._unclaimed |= set(self.owned)  # this batch stays pending: claim it after
            await self.settle()
            return 0
        # Archive and acknowledge this batch while the next one is read and applied: one batch
        # in flight, archived and acknowledged in order. A crash in between redelivers both
        # batches, which changes nothing.
        await self.settle()
        self._inflight = asyncio.create_task(self._archive_and_ack(mine, customers))
        return len(mine)

    async def _archive_and_ack(
        self, entries: Sequence[Entry], customers: Sequence[CustomerId | None]
    ) -> None:
        await self._archive.archive([
            ArchivedEvent(e.offset, e.partition, e.payload, e.message, c)
            for e, c in zip(entries, customers, strict=True)
        ])  # fmt: skip
        await self._log.ack(self.group, entries)
        self.stats.processed += len(entries)
        self.stats.batches += 1

    async def _rebuilt(self) -> bool:
        """Whether the online state is whole, rebuilding it from the archive if no other
        worker is at it (False: one is; wait)."""
        try:
            applied = await rebuild_online_state(
                self._log, self._state, self._archive,
                worker=self.name, group=self.group, lease_ms=self._lease_ms,
            )  # fmt: skip
        except LeaseLost as exc:  # paused past the rebuild lease: another worker carries on
            logger.warning("%s: %s", self.name, exc)
            return False
        if applied is None:
            return False
        self.stats.rebuilt += applied
        self._whole = True
        return True

    async def settle(self) -> None:
        """Wait for the batch in flight to be archived and acknowledged (its error, if any)."""
        if self._inflight is not None:
            task, self._inflight = self._inflight, None
            await task

    async def drain_merges(self) -> int:
        """Move the identity merges the online state recorded into the archive."""
        merges = await self._state.merges()
        if merges:
            await self._archive.archive_merges(merges)
            await self._state.forget_merges(merges)
        return len(merges)

    async def archive_dead_letters(self, page: int = 1_000) -> int:
        """Archive the dead letters still in the log, then trim them from it; how many.

        Idempotent, so workers may do it at once: each trims only what it archived, and ids
        only grow, so a letter written meanwhile stays until archived."""
        moved = 0
        while True:
            letters = await self._log.dead_letters(0, page)
            if not letters:
                return moved
            await self._archive.archive_dead_letters(letters)
            await self._log.trim_dead_letters(max(d.id or 0 for d in letters))
            moved += len(letters)
            if len(letters) < page:
                return moved

    async def _renew(self) -> None:
        for partition, token in list(self.owned.items()):
            if not await self._leases.renew(partition, token, self._lease_ms):
                del self.owned[partition]
                self._unclaimed.discard(partition)
                logger.info("%s lost partition %d", self.name, partition)
        self._renewed = time.monotonic()

    async def _balance(self) -> None:
        if time.monotonic() - self._renewed < self._lease_ms / 3000:
            return
        await self._renew()
        live = await self._leases.heartbeat(self.name, self._lease_ms)
        total = self._log.partitions
        share = math.ceil(total / max(live, 1))
        if len(self.owned) > share:
            await self.settle()
        while len(self.owned) > share:  # others joined: hand partitions back between batches
            partition = max(self.owned)
            await self._leases.release(partition, self.owned.pop(partition))
            self._unclaimed.discard(partition)
        start = stable_hash(self.name) % total
        for i in range(total):
            if len(self.owned) >= share:
                break
            partition = (start + i) % total
            if partition in self.owned:
                continue
            token = await self._leases.acquire(partition, self.name, self._lease_ms)
            if token is not None:
                self.owned[partition] = token
                self._unclaimed.add(partition)
                logger.info("%s took partition %d", self.name, partition)

    async def _release_all(self) -> None:
        try:
            await self.settle()
        except LogUnavailable:
            logger.warning(
                "%s stops with a batch not archived; its next owner claims it", self.name
            )
        for partition, token in list(self.owned.items()):
            try:
                await self._leases.release(partition, token)
            except LogUnavailable:
                break
        self.owned.clear()
