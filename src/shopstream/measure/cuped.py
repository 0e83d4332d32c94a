"""CUPED: less variance in an experiment's metric by removing what the past explains.

Deng, Xu, Kohavi and Walker (WSDM 2013). With ``Y`` the metric during the experiment and
``X`` a covariate measured before it (the same metric over the weeks before), on the pooled
data of both arms::

    theta = cov(Y, X) / var(X)
    Y_adj = Y - theta * (X - mean(X))

Assignment is independent of ``X``, so ``X`` has the same expectation in both arms and the
adjusted difference of means stays unbiased, while its variance shrinks by the factor
``1 - corr(Y, X)**2``. The adjusted arms are compared with Welch's test. Needs numpy and scipy.
"""

from __future__ import annotations

from dataclasses import dataclass

from shopstream.measure.errors import InvalidMeasureInput, MissingExtra
from shopstream.measure.moments import Moments, as_vector
from shopstream.measure.welch import MeanTest, welch_from_moments

try:
    import numpy as np
    from numpy.typing import ArrayLike
except ImportError as exc:  # pragma: no cover - the ml extra is installed in CI
    msg = f"shopstream.measure's statistics need numpy and scipy: pip install 'shopstream[ml]' ({exc})"
    raise MissingExtra(msg) from exc


@dataclass(frozen=True, slots=True)
class CupedResult:
    """``theta``, the ``adjusted`` test (its means are the adjusted means), the ``unadjusted``
    one for comparison, and ``variance_reduction``: the share of the metric's pooled
    variance removed (``1 - var(Y_adj) / var(Y)``)."""

    theta: float
    adjusted: MeanTest
    unadjusted: MeanTest
    variance_reduction: float


def cuped(
    y_a: ArrayLike,
    x_a: ArrayLike,
    y_b: ArrayLike,
    x_b: ArrayLike,
    *,
    confidence: float = 0.95,
) -> CupedResult:
    """Compare ``mean(y_b) - mean(y_a)`` after adjusting each ``y`` by its covariate ``x``.

    Raises:
        InvalidMeasureInput: an arm's ``y`` and ``x`` differ in length, or ``x`` is constant.

    Examples:
        >>> result = cuped([1.0, 2.0, 3.0], [0.0, 1.0, 2.0], [2.0, 3.5, 4.0], [0.0, 1.0, 2.0])
        >>> round(result.theta, 3), round(result.adjusted.difference, 3)
        (1.0, 1.167)
    """
    arms = []
    for name, y, x in (("a", y_a, x_a), ("b", y_b, x_b)):
        metric, covariate = as_vector(y, f"y_{name}"), as_vector(x, f"x_{name}")
        if metric.shape != covariate.shape:
            msg = f"y_{name} and x_{name} must have one value per customer; got {metric.size} and {covariate.size}"
            raise InvalidMeasureInput(msg, field=f"x_{name}")
        arms.append((metric, covariate))
    y = np.concatenate([arms[0][0], arms[1][0]])
    x = np.concatenate([arms[0][1], arms[1][1]])
    x_variance = float(x.var(ddof=1))
    if x_variance == 0:
        msg = "the covariate is constant across customers; it cannot explain any variance"
        raise InvalidMeasureInput(msg, field="x_a")
    theta = float(np.cov(y, x, ddof=1)[0, 1]) / x_variance
    x_mean = float(x.mean())
    adjusted = [Moments.of(metric - theta * (covariate - x_mean)) for metric, covariate in arms]
    raw = [Moments.of(metric) for metric, _ in arms]
    y_variance = float(y.var(ddof=1))
    adjusted_variance = float(
        np.concatenate([m - theta * (c - x_mean) for m, c in arms]).var(ddof=1)
    )
    return CupedResult(
        theta=theta,
        adjusted=welch_from_moments(adjusted[0], adjusted[1], confidence=confidence),
        unadjusted=welch_from_moments(raw[0], raw[1], confidence=confidence),
        variance_reduction=1 - adjusted_variance / y_variance if y_variance > 0 else 0.0,
    )
