"""Rebuilding the online state from the archive after Redis lost it (restarted empty).

The state is whole while it holds its sentinel; an emptied Redis has none, and the apply path
refuses to write to it (:class:`OnlineStateLost`). One worker at a time, holding the rebuild
lease, then replays the archive through the same :func:`online_update` and the same apply
script: first a plan, stored with the state, of what to replay, per partition the archived
events below the first offset the streams will deliver again (what is above comes through
the streams once live processing resumes, and each partition stays in offset order); then
the events, page by page in offset order, each page applied atomically with the progress; then
the sentinel. A worker that dies mid-rebuild stops renewing the lease, and the next one to
take it carries on from the stored progress; an offset applied twice changes nothing (the
applied bitmaps). The others wait, applying nothing, until the sentinel is there.

Why the dropped bitmaps cannot hide what is to be replayed: the apply script counts an offset
in a dropped bitmap as applied, and the trim floor the streams give after Redis restarted is
past the whole archive (the log resumes past its high water). So no bitmap is dropped while
the state is not whole (``forget_applied`` does nothing without the sentinel), a plan is made
only for a state with no applied offsets and nothing dropped, and the replay therefore finds
every bit of the offsets it replays clear. A state holding applied offsets but no sentinel
kept its memory (it was written before the sentinel existed): it is only marked.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from shopstream.core import Offset
from shopstream.log import LogRecord
from shopstream.scaleout.store import Archive, OnlineState, PartitionedLog, RebuildPlan
from shopstream.scaleout.updates import OnlineUpdate, online_update

logger = logging.getLogger(__name__)

PAGE = 2_000
"""Archived events read and applied at a time."""

PROGRESS_EVERY = 1.0
"""Seconds between two progress lines in the log."""

MIN_LEASE_MS = 2_000
"""The shortest rebuild lease: it must outlast decoding and applying one page."""


async def rebuild_online_state(
    log: PartitionedLog,
    state: OnlineState,
    archive: Archive,
    *,
    worker: str,
    group: str,
    lease_ms: int,
    page: int = PAGE,
) -> int | None:
    """Rebuild the online state from the archive if it is not whole and no other worker is at it.

    Returns the events this call applied (0: the state was whole, or kept its memory), or
    ``None`` when another worker holds the rebuild lease. Raises :class:`LeaseLost` if this
    worker paused past the lease (another one carries on).
    """
    if await state.seeded():
        return 0
    lease_ms = max(lease_ms, MIN_LEASE_MS)
    token = await state.take_rebuild(worker, lease_ms)
    if token is None:
        return None
    plan = await state.rebuild_plan()  # a rebuilder before this one died: carry on
    if plan is None:
        bounds = tuple(await log.resume_points(group))
        plan = await state.plan_rebuild(
            token, RebuildPlan(bounds, await archive.count_before(bounds), Offset(0), 0)
        )
        if plan is None:
            return 0
        logger.warning(
            "%s: the online state is empty; rebuilding it from %d archived events",
            worker,
            plan.total,
        )
    else:
        logger.warning(
            "%s: carrying on rebuilding the online state: %d / %d events", worker, plan.rebuilt,
            plan.total,
        )  # fmt: skip
    applied = await _replay(state, archive, plan, token, lease_ms, page, worker)
    await state.finish_rebuild(token, plan.through)
    logger.warning(
        "%s: the online state is rebuilt: %d / %d events; live processing resumes",
        worker, plan.rebuilt + applied, plan.total,
    )  # fmt: skip
    return applied


async def _replay(
    state: OnlineState,
    archive: Archive,
    plan: RebuildPlan,
    token: str,
    lease_ms: int,
    page: int,
    worker: str,
) -> int:
    """Apply the plan's archived events after ``plan.done``, a page at a time, in order; while
    Redis applies one page, the next is read from the archive and decoded."""

    async def read(after: Offset) -> tuple[Sequence[LogRecord], list[OnlineUpdate]]:
        records = await archive.replay(after, page, plan.bounds)
        return records, [online_update(r.offset, r.message) for r in records]

    applied, said = 0, time.monotonic()
    records, updates = await read(plan.done)
    while records:
        done, count = Offset(records[-1].offset), len(records)
        applying = state.apply_rebuilt(updates, token, lease_ms, done)
        if count == page:
            _, (records, updates) = await asyncio.gather(applying, read(done))
        else:
            await applying
            records, updates = [], []
        applied += count
        if time.monotonic() - said >= PROGRESS_EVERY:
            said = time.monotonic()
            logger.info(
                "%s: rebuilding the online state: %d / %d events", worker,
                plan.rebuilt + applied, plan.total,
            )  # fmt: skip
    return applied
