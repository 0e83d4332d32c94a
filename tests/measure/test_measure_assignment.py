"""Experiment assignment: deterministic, weighted as planned, independent across experiments."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from shopstream.core import CustomerId
from shopstream.measure import HOLDOUT, InvalidExperiment, assign

IDS = [CustomerId(f"customer-{i}") for i in range(100_000)]
VARIANTS = {"control": 2.0, "a": 1.0, "b": 1.0}


def _within_binomial(count: int, n: int, p: float) -> bool:
    return abs(count - n * p) <= 4 * math.sqrt(n * p * (1 - p))


def test_assignment_is_deterministic() -> None:
    first = [assign("exp", "s1", cid, VARIANTS, 0.1) for cid in IDS[:1_000]]
    again = [assign("exp", "s1", cid, dict(VARIANTS), 0.1) for cid in IDS[:1_000]]
    assert first == again


def test_weights_and_holdout_are_respected() -> None:
    counts = Counter(assign("exp", "s1", cid, VARIANTS, 0.1) for cid in IDS)
    n = len(IDS)
    assert _within_binomial(counts[HOLDOUT], n, 0.1)
    for name, share in (("control", 0.5), ("a", 0.25), ("b", 0.25)):
        assert _within_binomial(counts[name], n, 0.9 * share), (name, counts)


def test_experiments_and_salts_are_independent() -> None:
    arms = {"on": 1.0, "off": 1.0}
    for other in (("exp", "s2"), ("other-exp", "s1")):
        pairs = Counter((assign("exp", "s1", cid, arms), assign(*other, cid, arms)) for cid in IDS)
        for pair in (("on", "on"), ("on", "off"), ("off", "on"), ("off", "off")):
            assert _within_binomial(pairs[pair], len(IDS), 0.25), (other, pairs)


def test_growing_the_holdout_only_moves_customers_into_it() -> None:
    for cid in IDS[:5_000]:
        before = assign("exp", "s1", cid, VARIANTS, 0.05)
        after = assign("exp", "s1", cid, VARIANTS, 0.2)
        assert after in (before, HOLDOUT)
        if before == HOLDOUT:
            assert after == HOLDOUT


@pytest.mark.parametrize(
    ("variants", "holdout"),
    [
        ({}, 0.0),
        ({"a": 0.0}, 0.0),
        ({"a": 1.0, HOLDOUT: 1.0}, 0.0),
        ({"a": 1.0}, 1.0),
        ({"a": math.nan}, 0.0),
    ],
)
def test_malformed_splits_are_rejected(variants: dict[str, float], holdout: float) -> None:
    with pytest.raises(InvalidExperiment) as error:
        assign("exp", "s1", IDS[0], variants, holdout)
    assert error.value.code == "measure.invalid-experiment"
