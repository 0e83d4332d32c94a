"""The live recommender's work that must not run on the event loop: encoding product texts
and retraining the collaborative filter. Each loop hands the heavy part to a worker thread
and changes the shared state only back on the loop, so requests never see it half-done.

That thread runs at the lowest scheduling priority (Linux niceness applies per thread): a
retrain takes seconds of CPU, and on a server with one core to itself it would otherwise take
half of it from the event loop for as long, which the requests' tail latency shows at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from shopstream.recommend.collaborative import LiveEASE
from shopstream.recommend.content import ContentIndex, TextEncoder, nearest_table

logger = logging.getLogger(__name__)

T = TypeVar("T")


def _lowest_priority() -> None:
    with contextlib.suppress(AttributeError, OSError):  # not Linux, or not allowed: as is
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


@functools.cache
def _background() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(1, thread_name_prefix="recommend-work", initializer=_lowest_priority)


async def in_background(work: Callable[..., T], *args: object) -> T:
    """``work(*args)`` in the recommender's low-priority worker thread."""
    return await asyncio.get_running_loop().run_in_executor(_background(), work, *args)


def limit_blas_threads() -> None:
    """Run numpy's BLAS on one thread in a server: a request's matrix-vector products are
    small, and BLAS threads spinning on the other core (which the load, the exposure writer
    and the encoder also use) only add to the tail latency. Without threadpoolctl (the
    ``ml`` extra) there is no BLAS to limit."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(limits=1, user_api="blas")


async def embed_once(index: ContentIndex, encoder: TextEncoder, batch: int = 256) -> int:
    """Encode up to ``batch`` queued texts in a worker thread; how many were encoded."""
    pairs = index.take(batch)
    if not pairs:
        return 0
    vectors = await in_background(encoder.encode, [text for _, text in pairs])
    index.add(pairs, vectors, model=encoder.name)
    return len(pairs)


async def index_once(index: ContentIndex) -> bool:
    """Compute every product's nearest neighbours in a worker thread and install them,
    unless vectors changed meanwhile; True if installed."""
    version, ids, matrix = index.table_input()
    table = await in_background(nearest_table, ids, matrix)
    return index.install_table(version, table)


async def embed_forever(
    index: ContentIndex, encoder: TextEncoder, *, idle: float = 0.2, batch: int = 256
) -> None:
    """Encode what upserts queue, in batches; when none wait, tabulate every product's
    nearest neighbours (requests then read them); until cancelled, then close the encoder."""
    try:
        while True:
            try:
                done = await embed_once(index, encoder, batch)
            except Exception:  # a broken model must not take the server down; say it, retry
                logger.exception("encoding product texts failed; retrying in 30 s")
                await asyncio.sleep(30.0)
                continue
            if done:
                logger.debug("encoded %d product texts (%d queued)", done, index.pending)
            elif index.table_stale:
                started = time.perf_counter()
                if await index_once(index):
                    logger.info("nearest neighbours of %d products by text in %.1f s",
                                len(index), time.perf_counter() - started)  # fmt: skip
            else:
                await asyncio.sleep(idle)
    finally:
        encoder.close()


async def refit_once(model: LiveEASE) -> bool:
    """Retrain ``model`` on its window in a worker thread; True if a new model is in use."""
    window = model.snapshot()
    started = time.perf_counter()
    fitted = await in_background(model.refit, window)
    if fitted:
        logger.info(
            "EASE retrained on %d live interactions in %.1f s",
            len(window),
            time.perf_counter() - started,
        )
    return fitted


async def refit_forever(model: LiveEASE, *, every: float = 300.0, min_new: int = 1_000) -> None:
    """Retrain when ``min_new`` interactions arrived since the last fit, at most once every
    ``every`` seconds (the first fit as soon as there is enough), until cancelled."""
    while True:
        if not model.fitted or model.since_fit >= min_new:
            try:
                fitted = await refit_once(model)
            except Exception:  # a failed fit keeps the previous model; say it and go on
                logger.exception("retraining EASE on the live interactions failed")
                fitted = False
            if fitted:
                await asyncio.sleep(every)
                continue
        await asyncio.sleep(min(every, 5.0))
