"""The mSPRT: always-valid p-values that never rise and keep the false-positive rate."""

from __future__ import annotations

import math
from itertools import pairwise

import numpy as np
import pytest
from scipy.stats import norm

from shopstream.measure import InvalidMeasureInput, Look, mixture_likelihood_ratio, msprt

DAYS, PER_DAY, RATE, TAU, ALPHA = 14, 400, 0.1, 0.02, 0.05


def _daily_looks(rng: np.random.Generator, rate_b: float) -> list[Look]:
    a = np.cumsum(rng.binomial(PER_DAY, RATE, DAYS))
    b = np.cumsum(rng.binomial(PER_DAY, rate_b, DAYS))
    trials = PER_DAY * np.arange(1, DAYS + 1)
    return [
        Look.of_proportions(int(sa), int(n), int(sb), int(n))
        for sa, sb, n in zip(a, b, trials, strict=True)
    ]


def test_likelihood_ratio_matches_the_closed_form() -> None:
    look = Look(difference=0.03, variance=1e-4)
    expected = math.sqrt(1e-4 / (1e-4 + TAU**2)) * math.exp(
        0.03**2 * TAU**2 / (2 * 1e-4 * (1e-4 + TAU**2))
    )
    assert mixture_likelihood_ratio(look, TAU) == pytest.approx(expected)


def test_p_values_never_increase_and_intervals_only_narrow() -> None:
    rng = np.random.default_rng(3)
    for rate_b in (RATE, RATE + 0.02):
        result = msprt(_daily_looks(rng, rate_b), tau=TAU, alpha=ALPHA)
        assert all(b <= a for a, b in pairwise(result.p_values))
        assert all(b >= a for a, b in pairwise(result.lows))
        assert all(b <= a for a, b in pairwise(result.highs))


def test_false_positive_rate_with_daily_looks_stays_below_alpha() -> None:
    rng = np.random.default_rng(2026)
    runs = 1_000
    rejected = sum(
        msprt(_daily_looks(rng, RATE), tau=TAU, alpha=ALPHA).rejected_at is not None
        for _ in range(runs)
    )
    assert rejected / runs <= ALPHA


def test_peeking_at_a_fixed_horizon_test_would_not() -> None:
    """The contrast that motivates the mSPRT: a z-test read daily rejects far too often."""
    rng = np.random.default_rng(2026)
    runs, critical = 1_000, norm.ppf(1 - ALPHA / 2)
    rejected = sum(
        any(
            abs(look.difference) / math.sqrt(look.variance) > critical
            for look in _daily_looks(rng, RATE)
        )
        for _ in range(runs)
    )
    assert rejected / runs > 1.5 * ALPHA


def test_a_real_effect_is_detected_and_covered() -> None:
    rng = np.random.default_rng(5)
    result = msprt(_daily_looks(rng, RATE + 0.03), tau=TAU, alpha=ALPHA)
    assert result.rejected_at is not None
    assert result.p_values[-1] < ALPHA
    assert result.lows[-1] <= 0.03 <= result.highs[-1]


def test_rejects_bad_parameters() -> None:
    with pytest.raises(InvalidMeasureInput):
        msprt([Look(0.0, 1.0)], tau=0.0)
    with pytest.raises(InvalidMeasureInput):
        msprt([Look(0.0, 1.0)], tau=1.0, alpha=1.5)
    with pytest.raises(InvalidMeasureInput):
        Look.of_proportions(0, 10, 0, 10)
    with pytest.raises(InvalidMeasureInput):
        Look.of_means(0, 1.0, 1.0, 5, 1.0, 1.0)
