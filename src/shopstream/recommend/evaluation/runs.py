"""Running a method through a task: fit on train, answer every request, score the answers.

One function scores every method, ours and the peers, so all share the same split, the
same candidates and the same metric code; :func:`record` and :func:`score_fused` let the
blend's weights be tuned on recorded answers without re-running the generators.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager

from tqdm import tqdm

from shopstream.core import ProductId
from shopstream.recommend.blend import Blend, fuse
from shopstream.recommend.evaluation.metrics import RankingMetrics
from shopstream.recommend.evaluation.tasks import NextBasketTask, NextItemTask
from shopstream.recommend.generator import BatchLearner, CandidateGenerator, OnlineLearner
from shopstream.recommend.scored import Scored

Task = NextBasketTask | NextItemTask
K = 20


def request_count(task: Task) -> int:
    """How many predictions the task asks for (protocol T counts them by a dry run)."""
    return sum(1 for _ in task.requests())


def run(
    method: CandidateGenerator, task: Task, *, desc: str, progress: bool, total: int | None = None
) -> dict[str, float]:
    """Fit ``method`` on the task's train part (if it learns) and score its top 20 for
    every request.

    A method that learns online learns each revealed event of protocol T after answering.
    """
    if isinstance(method, BatchLearner):
        method.fit(task.train)
    learner = method if isinstance(method, OnlineLearner) else None
    metrics = RankingMetrics(len(task.candidates))
    clock = time.perf_counter
    with _frozen_heap():
        for request in tqdm(
            task.requests(learner), desc=desc, total=total, disable=not progress, leave=False
        ):
            start = clock()
            answer = method.recommend(request.history, K, exclude=request.exclude)
            elapsed = clock() - start
            metrics.add([s.product_id for s in answer], request.target, elapsed)
    return metrics.summary()


@contextmanager
def _frozen_heap() -> Iterator[None]:
    """Keep the loaded dataset and the fitted model out of the garbage collector's scans,
    so latency measures the method and not a full collection of millions of objects."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


Recorded = list[tuple[dict[str, list[Scored]], frozenset[ProductId]]]


def record(
    blend: Blend, task: Task, *, desc: str, progress: bool, total: int | None = None
) -> Recorded:
    """Every generator's answers (and the target) for every request, the blend learning
    the stream as it would when answering."""
    blend.fit(task.train)
    recorded: Recorded = []
    for request in tqdm(
        task.requests(blend), desc=desc, total=total, disable=not progress, leave=False
    ):
        recorded.append((blend.answers(request.history, request.exclude), request.target))
    return recorded


def score_fused(
    recorded: Iterable[tuple[Mapping[str, Sequence[Scored]], frozenset[ProductId]]],
    weights: Mapping[str, float],
    candidates: int,
) -> dict[str, float]:
    """The metrics of the blend with ``weights`` on recorded answers (latency not measured)."""
    metrics = RankingMetrics(candidates)
    for answers, target in recorded:
        metrics.add([s.product_id for s in fuse(answers, weights, K)], target, 0.0)
    return metrics.summary()
