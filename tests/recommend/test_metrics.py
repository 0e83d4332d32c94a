from __future__ import annotations

import math

import pytest

from shopstream.core import ProductId
from shopstream.recommend.evaluation.metrics import (
    RankingMetrics,
    hit_rate,
    ndcg,
    percentile,
    recall,
    reciprocal_rank,
)


def ids(*names: str) -> list[ProductId]:
    return [ProductId(n) for n in names]


RANKED = ids("a", "b", "c", "d", "e")
TARGET = frozenset(ids("b", "d", "x"))


def test_hit_rate_looks_at_the_first_k_only() -> None:
    assert hit_rate(RANKED, TARGET, 1) == 0.0
    assert hit_rate(RANKED, TARGET, 2) == 1.0


def test_recall_divides_by_the_smaller_of_target_size_and_k() -> None:
    assert recall(RANKED, TARGET, 5) == pytest.approx(2 / 3)
    assert recall(RANKED, TARGET, 2) == pytest.approx(1 / 2)  # one hit, min(3, 2) = 2


def test_ndcg_by_hand() -> None:
    # hits at ranks 2 and 4; ideal: three hits at ranks 1..3
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg(RANKED, TARGET, 5) == pytest.approx(dcg / ideal)
    # k = 2: one hit at rank 2; ideal over min(3, 2) = 2 items
    assert ndcg(RANKED, TARGET, 2) == pytest.approx((1 / math.log2(3)) / (1 + 1 / math.log2(3)))


def test_ndcg_of_a_single_target_is_one_over_log_rank() -> None:
    assert ndcg(RANKED, frozenset(ids("c")), 20) == pytest.approx(1 / math.log2(4))


def test_reciprocal_rank_is_that_of_the_first_hit_within_k() -> None:
    assert reciprocal_rank(RANKED, TARGET, 20) == 0.5
    assert reciprocal_rank(RANKED, TARGET, 1) == 0.0


def test_empty_answers_and_targets_score_zero() -> None:
    assert ndcg([], TARGET, 20) == recall([], TARGET, 20) == 0.0
    assert ndcg(RANKED, frozenset(), 20) == recall(RANKED, frozenset(), 20) == 0.0


def test_percentile_interpolates_like_numpy() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([5.0], 99) == 5.0
    assert percentile(list(range(101)), 99) == 99.0


def test_ranking_metrics_average_over_requests() -> None:
    metrics = RankingMetrics(candidates=10)
    metrics.add(ids("a", "b"), frozenset(ids("a")), seconds=0.002)
    metrics.add(ids("c", "d"), frozenset(ids("x")), seconds=0.004)
    summary = metrics.summary()
    assert summary["hr@20"] == 0.5
    assert summary["mrr@20"] == 0.5
    assert summary["ndcg@20"] == 0.5
    assert summary["coverage@20"] == pytest.approx(4 / 10)
    assert summary["latency_p50_ms"] == pytest.approx(3.0)
    assert summary["requests"] == 2
