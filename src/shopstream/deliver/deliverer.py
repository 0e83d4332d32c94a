"""The deliverer: claims due activations from the outbox and sends them, channel by channel.

Each pass, for every configured channel, it claims as many due entries as the channel's
token bucket allows (so the rate limit holds and no leased entry waits on a slow channel), holds back the activations of customers in an
experiment's holdout (``held_out`` names why: a dead letter that says so),
sends them concurrently, and records each outcome: ``sent``/``delivered``, a retry after
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
from shopstream.deliver.outbox import Outbox, OutboxEntry, OutcomeStatus
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
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        outbox.watch(self.wake)

    def wake(self) -> None:
        """Start a pass now (safe from any thread: the outbox calls it on ``put``)."""
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def deliver_due(self) -> int:
        """One pass over every channel; return how many entries were attempted."""
        tasks = []
        for name, channel in self.channels.items():
            bucket = self.limits.get(name)
            allowed = self.batch if bucket is None else bucket.take(self.batch, self._monotonic())
            if allowed == 0:
                continue
            entries = await asyncio.to_thread(
                self.outbox.claim, now=self.clock.now(), limit=allowed, lease=self.lease,
                channels=(name,),
            )  # fmt: skip
            if bucket is not None and len(entries) < allowed:
                bucket.give_back(allowed - len(entries))
            tasks += [self._deliver(entry, channel) for entry in entries]
        await asyncio.gather(*tasks)
        return len(tasks)

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
        await asyncio.to_thread(self._record, entry, receipt)

    def _record(self, entry: OutboxEntry, receipt: Receipt) -> None:
        key, now = entry.activation.key, self.clock.now()
        if receipt.outcome in (Outcome.SENT, Outcome.DELIVERED):
            self.outbox.delivered(key, OutcomeStatus(receipt.outcome), now=now,
                                  detail=receipt.detail)  # fmt: skip
        elif receipt.outcome is Outcome.REJECT:
            logger.info("dead letter %s: %s", key, receipt.detail)
            self.outbox.dead(key, error=receipt.detail, now=now)
        elif self.backoff.gives_up(entry.attempts):
            detail = f"gave up after {entry.attempts} attempts: {receipt.detail}"
            logger.info("dead letter %s: %s", key, detail)
            self.outbox.dead(key, error=detail, now=now)
        else:
            wait = self.backoff.delay(entry.attempts, self._rng)
            if receipt.retry_after is not None:
                wait = max(wait, min(receipt.retry_after, self.backoff.max_seconds))
            self.outbox.failed(key, error=receipt.detail, retry_at=now + timedelta(seconds=wait),
                               now=now)  # fmt: skip

    async def run(self) -> None:
        """Deliver until cancelled."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        while True:
            self._wake.clear()
            try:
                attempted = await self.deliver_due()
            except Exception:
                logger.exception("a delivery pass failed; trying again")
                attempted = 0
            if attempted:
                await asyncio.sleep(0)  # more may be due at once: pass again straight away
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
