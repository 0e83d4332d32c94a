"""Welch's t-test: the difference of two means without assuming equal variances.

``se = sqrt(va/na + vb/nb)``; the degrees of freedom are Welch-Satterthwaite's
``se**4 / ((va/na)**2/(na-1) + (vb/nb)**2/(nb-1))``. Needs numpy and scipy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from shopstream.measure.errors import InvalidMeasureInput, MissingExtra
from shopstream.measure.moments import Moments, require_confidence

try:
    from numpy.typing import ArrayLike
    from scipy.stats import t as student_t
except ImportError as exc:  # pragma: no cover - the ml extra is installed in CI
    msg = f"shopstream.measure's statistics need numpy and scipy: pip install 'shopstream[ml]' ({exc})"
    raise MissingExtra(msg) from exc


@dataclass(frozen=True, slots=True)
class MeanTest:
    """Means of control ``a`` and treatment ``b``, ``difference = mean_b - mean_a`` with its
    standard error, the t statistic, Welch-Satterthwaite ``df``, the two-sided ``p_value``
    and the ``confidence`` interval ``[low, high]``."""

    mean_a: float
    mean_b: float
    difference: float
    standard_error: float
    t: float
    df: float
    p_value: float
    low: float
    high: float
    confidence: float


def welch_ttest(a: ArrayLike, b: ArrayLike, *, confidence: float = 0.95) -> MeanTest:
    """Welch's two-sided t-test of ``mean(b) - mean(a)`` on the raw observations.

    Examples:
        >>> result = welch_ttest([1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0, 8.0, 10.0])
        >>> result.difference, round(result.df, 2)
        (3.5, 5.52)
    """
    return welch_from_moments(Moments.of(a), Moments.of(b), confidence=confidence)


def welch_from_moments(a: Moments, b: Moments, *, confidence: float = 0.95) -> MeanTest:
    """Welch's test from each arm's size, mean and variance (as kept by a stream).

    Raises:
        InvalidMeasureInput: both arms have zero variance.
    """
    require_confidence(confidence)
    share_a, share_b = a.variance / a.n, b.variance / b.n
    variance = share_a + share_b
    if variance == 0:
        msg = "both arms have zero variance; Welch's test is undefined"
        raise InvalidMeasureInput(msg, field="variance")
    se = math.sqrt(variance)
    df = variance**2 / (share_a**2 / (a.n - 1) + share_b**2 / (b.n - 1))
    difference = b.mean - a.mean
    t = difference / se
    half = float(student_t.ppf(0.5 + confidence / 2, df)) * se
    return MeanTest(
        mean_a=a.mean,
        mean_b=b.mean,
        difference=difference,
        standard_error=se,
        t=t,
        df=df,
        p_value=float(2 * student_t.sf(abs(t), df)),
        low=difference - half,
        high=difference + half,
        confidence=confidence,
    )
