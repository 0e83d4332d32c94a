"""The fixed-horizon statistics against scipy and statsmodels on the same data, and CUPED."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from shopstream.measure import InvalidMeasureInput
from shopstream.measure.cuped import cuped
from shopstream.measure.moments import Moments
from shopstream.measure.proportions import proportion_ztest
from shopstream.measure.srm import sample_ratio_mismatch
from shopstream.measure.welch import welch_from_moments, welch_ttest


@pytest.mark.parametrize(
    ("successes_a", "trials_a", "successes_b", "trials_b"),
    [(100, 1000, 130, 1000), (512, 10_000, 468, 9_700), (3, 40, 9, 35)],
)
def test_proportion_ztest_matches_statsmodels(
    successes_a: int, trials_a: int, successes_b: int, trials_b: int
) -> None:
    result = proportion_ztest(successes_a, trials_a, successes_b, trials_b, confidence=0.9)
    z, p = proportions_ztest([successes_b, successes_a], [trials_b, trials_a])
    low, high = confint_proportions_2indep(
        successes_b, trials_b, successes_a, trials_a, method="wald", compare="diff", alpha=0.1
    )
    assert result.difference == pytest.approx(successes_b / trials_b - successes_a / trials_a)
    assert result.z == pytest.approx(z)
    assert result.p_value == pytest.approx(p)
    assert (result.low, result.high) == pytest.approx((low, high))


def test_proportion_ztest_rejects_impossible_counts() -> None:
    with pytest.raises(InvalidMeasureInput) as error:
        proportion_ztest(11, 10, 5, 10)
    assert error.value.code == "measure.invalid-input"
    with pytest.raises(InvalidMeasureInput):
        proportion_ztest(0, 10, 0, 10)


def test_welch_matches_scipy() -> None:
    rng = np.random.default_rng(7)
    a, b = rng.normal(10, 2, 300), rng.normal(10.4, 5, 120)
    result = welch_ttest(a, b, confidence=0.95)
    reference = stats.ttest_ind(b, a, equal_var=False)
    interval = reference.confidence_interval(0.95)
    assert result.difference == pytest.approx(b.mean() - a.mean())
    assert result.t == pytest.approx(reference.statistic)
    assert result.p_value == pytest.approx(reference.pvalue)
    assert result.df == pytest.approx(reference.df)
    assert (result.low, result.high) == pytest.approx((interval.low, interval.high))


def test_welch_from_moments_equals_welch_on_arrays() -> None:
    a, b = [1.0, 2.0, 4.0, 7.0], [3.0, 3.5, 9.0]
    assert welch_from_moments(Moments.of(a), Moments.of(b)) == welch_ttest(a, b)


def test_welch_rejects_bad_input() -> None:
    with pytest.raises(InvalidMeasureInput):
        welch_ttest([1.0], [2.0, 3.0])
    with pytest.raises(InvalidMeasureInput):
        welch_ttest([1.0, 1.0], [2.0, 2.0])
    with pytest.raises(InvalidMeasureInput):
        welch_ttest([1.0, float("nan")], [2.0, 3.0])
    with pytest.raises(InvalidMeasureInput):
        welch_ttest([1.0, 2.0], [2.0, 3.0], confidence=1.0)


def test_srm_matches_scipy_chisquare() -> None:
    counts = {"control": 4_870, "a": 5_210, "b": 10_020}
    planned = {"control": 0.25, "a": 0.25, "b": 0.5}
    check = sample_ratio_mismatch(counts, planned)
    total = sum(counts.values())
    reference = stats.chisquare([counts[k] for k in planned], [total * w for w in planned.values()])
    assert check.chi2 == pytest.approx(reference.statistic)
    assert check.p_value == pytest.approx(reference.pvalue)
    assert check.df == 2
    assert check.mismatch is bool(reference.pvalue < 0.001)


def test_srm_flags_a_broken_split_and_passes_a_fair_one() -> None:
    assert sample_ratio_mismatch({"a": 5_000, "b": 5_600}, {"a": 1, "b": 1}).mismatch
    assert not sample_ratio_mismatch({"a": 5_000, "b": 5_050}, {"a": 1, "b": 1}).mismatch
    with pytest.raises(InvalidMeasureInput):
        sample_ratio_mismatch({"a": 1, "b": 2}, {"a": 1, "c": 1})


def _correlated(rng: np.random.Generator, n: int, effect: float) -> tuple[np.ndarray, np.ndarray]:
    before = rng.gamma(2.0, 20.0, n)
    during = 0.9 * before + rng.normal(effect, 8.0, n)
    return during, before


def test_cuped_reduces_variance_on_correlated_data() -> None:
    rng = np.random.default_rng(11)
    y_a, x_a = _correlated(rng, 4_000, 0.0)
    y_b, x_b = _correlated(rng, 4_000, 1.0)
    result = cuped(y_a, x_a, y_b, x_b)
    correlation = np.corrcoef(np.concatenate([y_a, y_b]), np.concatenate([x_a, x_b]))[0, 1]
    assert result.variance_reduction == pytest.approx(correlation**2, abs=1e-3)
    assert result.variance_reduction > 0.8
    assert result.adjusted.standard_error < 0.5 * result.unadjusted.standard_error
    assert result.theta == pytest.approx(0.9, abs=0.02)


def test_cuped_difference_is_unbiased() -> None:
    rng = np.random.default_rng(12)
    differences = []
    for _ in range(300):
        y_a, x_a = _correlated(rng, 400, 0.0)
        y_b, x_b = _correlated(rng, 400, 2.0)
        differences.append(cuped(y_a, x_a, y_b, x_b).adjusted.difference)
    spread = np.std(differences, ddof=1) / np.sqrt(len(differences))
    assert abs(np.mean(differences) - 2.0) < 3 * spread


def test_cuped_rejects_mismatched_and_constant_covariates() -> None:
    with pytest.raises(InvalidMeasureInput):
        cuped([1.0, 2.0], [1.0], [1.0, 2.0], [1.0, 2.0])
    with pytest.raises(InvalidMeasureInput):
        cuped([1.0, 2.0], [1.0, 1.0], [1.0, 3.0], [1.0, 1.0])
