"""The deliverer: claims due activations from the outbox and sends them, channel by channel.

For every configured channel, it claims as many due entries as the channel's token bucket
allows (so the rate limit holds and no leased entry waits on a slow channel), at most
``max_in_flight`` at a time, and starts sending them without waiting for earlier sends (a
slow receiver holds up only its own entries), holds back the activations of customers in an
experiment's holdout (``held_out`` names why: a dead letter that says so),
and records how each ended, many in one transaction: ``sent``/``delivered``, a retry after
an exponential backoff with jitter (or the receiver's ``Retry-After`` when longer), or a
dead letter (a rejection, or the last of ``max_attempts``). It wakes when the outbox gets
something new, and otherwise every ``poll_seconds`` for retries that came due.

Delivery is at least once: a deliverer killed mid-batch leaves its entries leased, and they
are sent again (same ``Idempotency-Key``) when the lease runs out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Mapping
from datetime import timedelta

from shopstream.core import Clock, SystemClock
from shopstream.decide import Activation
from shopstream.deliver.backoff import Backoff
from shopstream.deliver.channel import Channel, Outcome, Receipt, Recipients
from shopstream.deliver.outbox import Outbox, OutboxEntry, OutcomeStatus, Settlement
from shopstream.deliver.ratelimit import TokenBucket

logger = logging.getLogger(__name__)


class Deliverer:
    """Sends what the outbox holds over ``channels`` (see the module docstring)."""

    def __init__(
        self,
        outbox: Outbox,
        channels: Mapping[str, Channel],
        recipients: Recipients,
        *,
        limits: Mapping[str, TokenBucket] | None = None,
        backoff: Backoff | None = None,
        lease: timedelta = timedelta(seconds=30),
        batch: int = 100,
        poll_seconds: float = 0.25,
        clock: Clock | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        seed: int | None = None,
        held_out: Callable[[Activation], str | None] | None = None,
        max_in_flight: int = 64,
    ) -> None:
        self.outbox = outbox
        self.channels = dict(channels)
        self.recipients = recipients
        self.limits = dict(limits or {})
        self.backoff = backoff or Backoff()
        self.lease = lease
        self.batch = batch
        self.poll_seconds = poll_seconds
        self.clock = clock or SystemClock()
        self._monotonic = monotonic
        self._rng = random.Random(seed)
        self._held_out = held_out
        self.max_in_flight = max_in_flight
        self._in_flight: set[asyncio.Task[None]] = set()
        self._settled: list[Settlement] = []
        self._record_now: asyncio.Event | None = None
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        outbox.watch(self.wake)

    def wake(self) -> None:
        """Start a pass now (safe from any thread: the outbox calls it on ``put``)."""
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def deliver_due(self) -> int:
        """One pass: claim what is due on every channel, send it, record how each ended.
        Returns how many entries were attempted."""
        tasks = await self._start_due()
        await asyncio.gather(*tasks)
        await self._record_settled()
        return len(tasks)

    async def _start_due(self) -> list[asyncio.Task[None]]:
        """Claim and start sending, within each channel's tokens and ``max_in_flight``."""
        started: list[asyncio.Task[None]] = []
        for name, channel in self.channels.items():
            room = self.max_in_flight - len(self._in_flight)
            if room <= 0:
                break
            wanted = min(self.batch, room)
            bucket = self.limits.get(name)
            allowed = wanted if bucket is None else bucket.take(wanted, self._monotonic())
            if allowed == 0:
                continue
            entries = await asyncio.to_thread(
                self.outbox.claim, now=self.clock.now(), limit=allowed, lease=self.lease,
                channels=(name,),
            )  # fmt: skip
            if bucket is not None and len(entries) < allowed:
                bucket.give_back(allowed - len(entries))
            for entry in entries:
                task = asyncio.create_task(self._deliver(entry, channel))
                self._in_flight.add(task)
                task.add_done_callback(self._in_flight.discard)
                started.append(task)
        return started

    async def _deliver(self, entry: OutboxEntry, channel: Channel) -> None:
        activation = entry.activation
        try:
            held = self._held_out(activation) if self._held_out is not None else None
            if held is not None:
                receipt = Receipt.reject(held)
            else:
                recipient = self.recipients.recipient(activation)
                receipt = await channel.send(activation, recipient)
        except Exception as exc:  # a bug in one adapter must not stop the others
            logger.exception("channel %s failed on %s", activation.channel, activation.key)
            receipt = Receipt.retry(f"{type(exc).__name__} in the {activation.channel} channel")
        self._settled.append(self._settlement(entry, receipt))
        if self._record_now is not None:
            self._record_now.set()
        if self._wake is not None and len(self._in_flight) >= self.max_in_flight:
            self._wake.set()  # room again: claim more

    def _settlement(self, entry: OutboxEntry, receipt: Receipt) -> Settlement:
        key = entry.activation.key
        if receipt.outcome in (Outcome.SENT, Outcome.DELIVERED):
            return Settlement(key, OutcomeStatus(receipt.outcome), receipt.detail)
        if receipt.outcome is Outcome.REJECT:
            logger.info("dead letter %s: %s", key, receipt.detail)
            return Settlement(key, OutcomeStatus.DEAD, receipt.detail)
        if self.backoff.gives_up(entry.attempts):
            detail = f"gave up after {entry.attempts} attempts: {receipt.detail}"
            logger.info("dead letter %s: %s", key, detail)
            return Settlement(key, OutcomeStatus.DEAD, detail)
        wait = self.backoff.delay(entry.attempts, self._rng)
        if receipt.retry_after is not None:
            wait = max(wait, min(receipt.retry_after, self.backoff.max_seconds))
        retry_at = self.clock.now() + timedelta(seconds=wait)
        return Settlement(key, OutcomeStatus.FAILED, receipt.detail, retry_at)

    async def _record_settled(self) -> None:
        """Write every outcome settled so far in one transaction (a group commit)."""
        if not self._settled:
            return
        settled, self._settled = self._settled, []
        await asyncio.to_thread(self.outbox.settle, settled, now=self.clock.now())

    async def run(self) -> None:
        """Deliver until cancelled: sends stay in flight while new entries are claimed, and
        what they come to is recorded in batches."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._record_now = asyncio.Event()
        recorder = asyncio.create_task(
            self._record_forever(self._record_now), name="deliverer-recorder"
        )
        try:
            while True:
                self._wake.clear()
                try:
                    started = await self._start_due()
                except Exception:
                    logger.exception("claiming from the outbox failed; trying again")
                    started = []
                if started and len(self._in_flight) < self.max_in_flight:
                    await asyncio.sleep(0)  # more may be due at once: claim again straight away
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
        finally:
            recorder.cancel()
            for task in list(self._in_flight):
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await recorder

    async def _record_forever(self, record_now: asyncio.Event) -> None:
        while True:
            await record_now.wait()
            record_now.clear()
            try:
                await self._record_settled()
            except Exception:
                logger.exception("recording delivery outcomes failed; the leases will resend")
