"""Tail probabilities for the emerging-trend test, in pure Python (no SciPy at run time).

The test asks how surprising ``x`` events are when the rate behind them is only known from a
baseline: a Poisson count whose rate has a Gamma posterior is negative binomial, and its upper
tail is a regularised incomplete beta function (see :mod:`shopstream.trends.emerging`).
"""

from __future__ import annotations

import math
from statistics import NormalDist

_EPSILON = 1e-15
_TINY = 1e-300
_MAX_TERMS = 100_000
_NORMAL = NormalDist()


def incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function ``I_x(a, b)``, for ``a, b > 0``.

    Evaluated by its continued fraction (modified Lentz), on whichever side of the mean
    ``x`` lies so that it converges fast and small tails keep their relative precision.

    Examples:
        >>> round(incomplete_beta(2.0, 3.0, 0.4), 6)  # 1 - P(Binomial(4, 0.4) <= 1)
        0.5248
    """
    if not (a > 0 and b > 0):
        msg = f"incomplete_beta needs a > 0 and b > 0; got a={a!r}, b={b!r}"
        raise ValueError(msg)
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _fraction(b, a, 1.0 - x) / b


def _fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of ``I_x(a, b)``, to double precision (a few hundred terms even
    for ``b`` in the millions) or its value after ``_MAX_TERMS`` terms."""
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    result = d
    for m in range(1, _MAX_TERMS):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1.0) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1.0)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > _TINY else _TINY)
            c = 1.0 + numerator / c
            c = c if abs(c) > _TINY else _TINY
            result *= d * c
        if abs(d * c - 1.0) < _EPSILON:
            break
    return result


def negative_binomial_sf(x: float, shape: float, q: float) -> float:
    """``P(X >= x)`` for a negative binomial ``X`` with ``shape`` and failure probability ``q``.

    ``X`` is a Poisson count whose rate is Gamma distributed: ``shape`` is the Gamma shape and
    ``q = t / (beta + t)`` for an exposure ``t`` and Gamma rate ``beta``. ``x`` may be
    fractional (counts divided by a dispersion); the tail is then interpolated smoothly.

    Examples:
        >>> round(negative_binomial_sf(3, 1.0, 0.5), 6)  # geometric: P(X >= 3) = 0.5 ** 3
        0.125
    """
    if x <= 0:
        return 1.0
    return incomplete_beta(x, shape, q)


def z_score(p_value: float) -> float:
    """The standard normal quantile with upper tail ``p_value`` (so ``p = 0.05`` gives 1.64)."""
    return -_NORMAL.inv_cdf(min(max(p_value, _TINY), 1.0 - 1e-16))
