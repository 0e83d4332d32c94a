"""Consumers: read the log from a checkpoint, apply each record, save state with its offset.

A processor's state and the offset it reflects are saved together (one write), so a restart
loads the state, reads the log after that offset and reaches exactly the state a clean pass
would have: processors must be deterministic functions of the records they are given (they
take time from the events, never from the wall clock).

Saving pickles the whole state: seconds at a million profiles, which would stall every request
on the event loop. Where the store can be written from a forked child (:class:`ChildSavable`)
and the platform forks (Linux), the consumer saves as Redis's ``BGSAVE`` does: it forks, the
child serialises the copy-on-write image of the state and writes it, and the parent goes on
applying events; the saved offset moves when the child has exited cleanly.

Records are decoded one at a time as the processor takes them, so only the event being
applied is alive, not a slice of decoded messages. And the state the processors build (one
profile is a dozen small objects; a million shoppers, millions of objects) is moved out of
the cyclic garbage collector's sight as it grows: see :class:`GcFreezer`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from shopstream.core import Offset
from shopstream.events import Message
from shopstream.log.errors import LogUnavailable
from shopstream.log.store import EventLog

logger = logging.getLogger(__name__)


class Processor(Protocol):
    """Deterministic state built from the log."""

    name: str

    @property
    def offset(self) -> Offset:
        """The last offset applied."""
        ...

    def apply(self, events: Iterable[tuple[Offset, Message]]) -> None:
        """Apply events in offset order (iterated once); those at or below ``offset`` are skipped."""
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


@runtime_checkable
class ChildSavable(Protocol):
    """A state store that a forked child process can write to."""

    def save_from_child(self, name: str, offset: Offset, state: bytes) -> None:
        """Save synchronously through a connection of the caller's own, opened here: a forked
        child must share no connection, lock or thread with its parent."""
        ...


def can_fork() -> bool:
    """Whether saves can run in a forked child here (Linux: fork is safe and copy-on-write)."""
    return sys.platform == "linux" and hasattr(os, "fork")


@dataclass(frozen=True, slots=True)
class _Child:
    pid: int
    offset: Offset


class GcFreezer:
    """Keeps long-lived state out of the cyclic garbage collector's full collections.

    CPython's collector walks every tracked object in a full collection, and runs one each
    time the objects that survived since the last grew by a quarter. Processor state only
    grows (profiles, identity clusters, products: acyclic, freed by reference counting when
    dropped), so while it grows, most of the time goes to walking it again and again: at a
    million profiles, more than half the time of a replay. Every ``every`` events applied,
    :func:`gc.freeze` moves everything alive into the permanent generation, which
    collections skip. What dies frozen is still freed at once by reference counting; only a
    reference cycle that became garbage after being frozen waits, until every
    ``thaw_every``-th time, when :func:`gc.unfreeze` hands everything back to the oldest
    generation and the next full collection reclaims such cycles.

    It acts on the whole process (the garbage collector is global): ``every=None`` turns it
    off for programs that manage the collector themselves.
    """

    def __init__(self, every: int | None = 10_000, thaw_every: int = 100) -> None:
        if every is not None and every < 1:
            msg = f"every must be at least 1 or None; got {every}"
            raise ValueError(msg)
        if thaw_every < 1:
            msg = f"thaw_every must be at least 1; got {thaw_every}"
            raise ValueError(msg)
        self.every = every
        self.thaw_every = thaw_every
        self._pending = 0
        self._freezes = 0

    def applied(self, count: int) -> None:
        """Count events applied; freeze (or thaw) when ``every`` have been since the last."""
        if self.every is None:
            return
        self._pending += count
        if self._pending < self.every:
            return
        self._pending = 0
        self._freezes += 1
        if self._freezes % self.thaw_every == 0:
            gc.unfreeze()
        else:
            gc.freeze()


class Consumer:
    """Keeps a processor up to date with the log and saves its state now and then.

    Processing runs on the event loop, so readers of the state (the API) never see a
    half-applied event and need no locks. Records are read ``slice_size`` at a time. While
    ``busy()`` (collection requests are waiting on collector processes), they are applied
    ``step`` at a time, and after each step processing pauses for long enough that it takes at
    most ``busy_share`` of the loop's time: a request waits for at most one step (about a
    millisecond), and collection runs at its own pace while processing still moves on, so a
    long burst cannot freeze the live state. The events are durable before they are
    acknowledged; the processor catches up when the burst is over. Otherwise each slice is
    applied whole, so what was just acknowledged is visible to the next read.

    Args:
        busy_share: the most of the loop's time processing takes while ``busy()``.
        freezer: how the processor's growing state is kept out of the garbage collector's
            walks (:class:`GcFreezer`; ``GcFreezer(None)`` to leave the collector alone).
        fork_saves: save periodically in a forked child (see the module's docstring) when
            the store and the platform allow it; ``False`` saves on the event loop.
    """

    def __init__(
        self,
        log: EventLog,
        processor: Processor,
        states: StateStore,
        *,
        slice_size: int = 500,
        step: int = 8,
        busy: Callable[[], bool] = lambda: False,
        busy_share: float = 0.25,
        save_every_events: int = 50_000,
        save_every_seconds: float = 30.0,
        freezer: GcFreezer | None = None,
        fork_saves: bool = True,
    ) -> None:
        self._log = log
        self._processor = processor
        self._states = states
        self._slice = slice_size
        self._step = step
        if not 0 < busy_share <= 1:
            msg = f"busy_share must be in (0, 1]; got {busy_share}"
            raise ValueError(msg)
        self._pause_ratio = (1 - busy_share) / busy_share
        self.busy = busy
        self._save_events = save_every_events
        self._save_seconds = save_every_seconds
        self._saved_offset = Offset(0)
        self._saved_at = time.monotonic()
        self._task: asyncio.Task[None] | None = None
        self._freezer = freezer if freezer is not None else GcFreezer()
        self._fork_saves = fork_saves and can_fork() and isinstance(states, ChildSavable)
        self._child: _Child | None = None
        self._stopping = False

    def pause_after(self, spent: float) -> float:
        """How long work that took ``spent`` seconds pauses while ``busy()``, to take at most
        ``busy_share`` of the time (the engine's identity index keeps the same share)."""
        return spent * self._pause_ratio

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
            start = 0
            while start < len(records):
                busy = self.busy()
                size = self._step if busy else len(records)
                step = records[start : start + size]
                start += size
                began = time.perf_counter()
                self._processor.apply((r.offset, r.message) for r in step)
                applied += len(step)
                self._freezer.applied(len(step))
                await asyncio.sleep(self.pause_after(time.perf_counter() - began) if busy else 0)
            await self._maybe_save()

    async def run(self) -> None:
        """Follow the log until cancelled; a log (or state store) away for a while is waited out."""
        backoff = 0.05
        while not self._stopping:
            try:
                await self.catch_up()
                self._reap(block=False)
                await self._log.wait_for(self._processor.offset, timeout=1.0)
                backoff = 0.05
            except LogUnavailable as exc:
                logger.warning("%s waits for the log: %s", self._processor.name, exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)

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
            # A cancellation can be lost inside a log's driver (redis-py retries a read whose
            # timeout and cancellation coincide, as a TimeoutError): the loop also checks the
            # flag, and the task is cancelled again until it has ended.
            self._stopping = True
            while not self._task.done():
                self._task.cancel()
                await asyncio.wait({self._task}, timeout=0.5)
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._child is not None:
            await asyncio.to_thread(self._reap, block=True)
        if save:
            await self.save()

    async def save(self) -> None:
        """Save now, on the event loop (waiting for a forked save in flight first)."""
        if self._child is not None:
            await asyncio.to_thread(self._reap, block=True)
        offset = self._processor.offset
        if offset == self._saved_offset:
            return
        state = self._processor.dump()
        await self._states.save(self._processor.name, offset, state)
        self._saved_offset = offset
        self._saved_at = time.monotonic()

    async def _maybe_save(self) -> None:
        if self._child is not None and not self._reap(block=False):
            return
        behind = self._processor.offset - self._saved_offset
        if behind >= self._save_events or (
            behind and time.monotonic() - self._saved_at >= self._save_seconds
        ):
            if self._fork_saves:
                self._fork_save()
            else:
                await self.save()

    def _fork_save(self) -> None:
        offset, name = self._processor.offset, self._processor.name
        pid = os.fork()
        if pid == 0:  # the child: write the state as it was at the fork, then leave at once
            status = 1
            try:
                gc.disable()  # a collection would touch (and so copy) every page of the state
                with contextlib.suppress(OSError):
                    os.nice(19)  # on a shared core, the parent's requests come first
                states = self._states
                assert isinstance(states, ChildSavable)
                states.save_from_child(name, offset, self._processor.dump())
                status = 0
            except BaseException:
                os.write(2, traceback.format_exc().encode())
            finally:
                os._exit(status)  # no atexit handlers, no finalizers of the parent's objects
        self._child = _Child(pid, offset)
        self._saved_at = time.monotonic()

    def _reap(self, *, block: bool) -> bool:
        """Collect a finished forked save; ``False`` while it is still running."""
        child = self._child
        if child is None:
            return True
        pid, status = os.waitpid(child.pid, 0 if block else os.WNOHANG)
        if pid == 0:
            return False
        self._child = None
        if os.waitstatus_to_exitcode(status) == 0:
            self._saved_offset = max(self._saved_offset, child.offset)
        else:
            logger.error("%s: the forked save at offset %d failed", self._processor.name,
                         child.offset)  # fmt: skip
        return True
