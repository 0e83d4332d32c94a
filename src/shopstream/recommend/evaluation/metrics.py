"""Ranking metrics shared by every method, as EVALUATION.md defines them.

Relevance is binary. Recall and the ideal DCG count at most ``min(|target|, k)`` hits;
MRR is the reciprocal rank of the first hit within ``k`` (0 when none); coverage is the
share of candidates that appear in any top ``k``.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence

from shopstream.core import ProductId


def hit_rate(ranked: Sequence[ProductId], target: Collection[ProductId], k: int) -> float:
    """1.0 when any of the first ``k`` is a target item."""
    return 1.0 if any(item in target for item in ranked[:k]) else 0.0


def recall(ranked: Sequence[ProductId], target: Collection[ProductId], k: int) -> float:
    if not target:
        return 0.0
    hits = sum(1 for item in ranked[:k] if item in target)
    return hits / min(len(target), k)


def ndcg(ranked: Sequence[ProductId], target: Collection[ProductId], k: int) -> float:
    if not target:
        return 0.0
    dcg = sum(1.0 / math.log2(r + 2) for r, item in enumerate(ranked[:k]) if item in target)
    ideal = sum(1.0 / math.log2(r + 2) for r in range(min(len(target), k)))
    return dcg / ideal


def reciprocal_rank(ranked: Sequence[ProductId], target: Collection[ProductId], k: int) -> float:
    for rank, item in enumerate(ranked[:k], start=1):
        if item in target:
            return 1.0 / rank
    return 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by linear interpolation, as numpy's default."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100.0
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class RankingMetrics:
    """Averages of the metrics over requests, coverage and answer latency.

    Examples:
        >>> m = RankingMetrics(candidates=4)
        >>> m.add([ProductId("a"), ProductId("b")], frozenset({ProductId("b")}), seconds=0.001)
        >>> m.summary()["mrr@20"]
        0.5
    """

    K = (10, 20)

    def __init__(self, candidates: int) -> None:
        self.candidates = candidates
        self.requests = 0
        self._sums: dict[str, float] = {}
        self._recommended: set[ProductId] = set()
        self._latencies: list[float] = []

    def add(
        self, ranked: Sequence[ProductId], target: Collection[ProductId], seconds: float
    ) -> None:
        self.requests += 1
        self._latencies.append(seconds)
        self._recommended.update(ranked[:20])
        for name, value in (
            ("hr@10", hit_rate(ranked, target, 10)),
            ("hr@20", hit_rate(ranked, target, 20)),
            ("recall@20", recall(ranked, target, 20)),
            ("ndcg@10", ndcg(ranked, target, 10)),
            ("ndcg@20", ndcg(ranked, target, 20)),
            ("mrr@20", reciprocal_rank(ranked, target, 20)),
        ):
            self._sums[name] = self._sums.get(name, 0.0) + value

    def summary(self) -> dict[str, float]:
        """Every metric averaged over requests (coverage over candidates, latency in ms)."""
        found = (
            {name: total / self.requests for name, total in self._sums.items()}
            if self.requests
            else {}
        )
        found["coverage@20"] = len(self._recommended) / self.candidates if self.candidates else 0.0
        found["latency_p50_ms"] = percentile(self._latencies, 50) * 1000.0
        found["latency_p99_ms"] = percentile(self._latencies, 99) * 1000.0
        found["requests"] = float(self.requests)
        return found
