"""Consumers: read the log from a checkpoint, apply each record, save state with its offset.

A processor's state and the offset it reflects are saved together (one write), so a restart
loads the state, reads the log after that offset and reaches exactly the state a clean pass
would have: processors must be deterministic functions of the records they are given (they
take time from the events, never from the wall clock).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from typing import Protocol

from shopstream.core import Offset
from shopstream.events import Message
from shopstream.log.store import EventLog

logger = logging.getLogger(__name__)


class Processor(Protocol):
    """Deterministic state built from the log."""

    name: str

    @property
    def offset(self) -> Offset:
        """The last offset applied."""
        ...

    def apply(self, events: Sequence[tuple[Offset, Message]]) -> None:
        """Apply events in offset order; those at or below ``offset`` are skipped."""
        ...

    def dump(self) -> bytes:
        """The whole state, with the offset it reflects."""
        ...

    def load(self, state: bytes) -> None:
        """Replace the state with a dump."""
        ...


class StateStore(Protocol):
    """Where processors save their state together with the offset it reflects."""

    async def save(self, name: str, offset: Offset, state: bytes) -> None: ...

    async def load(self, name: str) -> tuple[Offset, bytes] | None: ...


class Consumer:
    """Keeps a processor up to date with the log and saves its state now and then.

    Processing runs on the event loop in small slices, so readers of the state (the API) never
    see a half-applied event and need no locks.
    """

    def __init__(
        self,
        log: EventLog,
        processor: Processor,
        states: StateStore,
        *,
        slice_size: int = 500,
        save_every_events: int = 50_000,
        save_every_seconds: float = 30.0,
    ) -> None:
        self._log = log
        self._processor = processor
        self._states = states
        self._slice = slice_size
        self._save_events = save_every_events
        self._save_seconds = save_every_seconds
        self._saved_offset = Offset(0)
        self._saved_at = time.monotonic()
        self._task: asyncio.Task[None] | None = None

    @property
    def processor(self) -> Processor:
        return self._processor

    async def restore(self) -> None:
        """Load the last saved state, if any."""
        saved = await self._states.load(self._processor.name)
        if saved is not None:
            offset, state = saved
            self._processor.load(state)
            self._saved_offset = offset
            logger.info("%s restored at offset %d", self._processor.name, offset)

    async def catch_up(self) -> int:
        """Apply everything in the log now; returns how many records were applied."""
        applied = 0
        while True:
            records = await self._log.read(self._processor.offset, self._slice)
            if not records:
                return applied
            self._processor.apply([(r.offset, r.message) for r in records])
            applied += len(records)
            await self._maybe_save()
            await asyncio.sleep(0)

    async def run(self) -> None:
        """Follow the log until cancelled."""
        while True:
            await self.catch_up()
            await self._log.wait_for(self._processor.offset, timeout=1.0)

    async def wait_until(self, offset: Offset, timeout: float = 5.0) -> bool:
        """Wait until the processor has applied ``offset`` (for tests and read-your-writes)."""
        deadline = time.monotonic() + timeout
        while self._processor.offset < offset:
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.002)
        return True

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name=f"consumer:{self._processor.name}")

    async def stop(self, *, save: bool = True) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if save:
            await self.save()

    async def save(self) -> None:
        offset = self._processor.offset
        if offset == self._saved_offset:
            return
        state = self._processor.dump()
        await self._states.save(self._processor.name, offset, state)
        self._saved_offset = offset
        self._saved_at = time.monotonic()

    async def _maybe_save(self) -> None:
        behind = self._processor.offset - self._saved_offset
        if behind >= self._save_events or (
            behind and time.monotonic() - self._saved_at >= self._save_seconds
        ):
            await self.save()
