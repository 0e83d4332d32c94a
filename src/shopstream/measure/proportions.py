"""The two-proportion z-test: did the treatment's conversion rate differ from control's?

The test statistic uses the pooled rate under the null hypothesis of equal rates (as
statsmodels' ``proportions_ztest``); the confidence interval of the difference uses each
arm's own rate (Wald), since it describes the difference rather than the null. Needs scipy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from shopstream.measure.errors import InvalidMeasureInput, MissingExtra
from shopstream.measure.moments import require_confidence

try:
    from scipy.stats import norm
except ImportError as exc:  # pragma: no cover - the ml extra is installed in CI
    msg = f"shopstream.measure's statistics need numpy and scipy: pip install 'shopstream[ml]' ({exc})"
    raise MissingExtra(msg) from exc


@dataclass(frozen=True, slots=True)
class ProportionTest:
    """Rates of control ``a`` and treatment ``b``, ``difference = rate_b - rate_a``, its
    two-sided ``p_value`` and its ``confidence`` interval ``[low, high]``."""

    rate_a: float
    rate_b: float
    difference: float
    z: float
    p_value: float
    low: float
    high: float
    confidence: float


def proportion_ztest(
    successes_a: int,
    trials_a: int,
    successes_b: int,
    trials_b: int,
    *,
    confidence: float = 0.95,
) -> ProportionTest:
    """Compare two conversion rates (two-sided).

    Raises:
        InvalidMeasureInput: a count is negative, successes exceed trials, or all trials
            succeeded or failed (the test has no variance to work with).

    Examples:
        >>> result = proportion_ztest(100, 1000, 130, 1000)
        >>> round(result.difference, 3), round(result.p_value, 4)
        (0.03, 0.0355)
    """
    require_confidence(confidence)
    for name, successes, trials in (("a", successes_a, trials_a), ("b", successes_b, trials_b)):
        if not 0 <= successes <= trials or trials == 0:
            msg = f"arm {name} needs 0 <= successes <= trials and trials > 0; got {successes}/{trials}"
            raise InvalidMeasureInput(msg, field=f"successes_{name}")
    rate_a, rate_b = successes_a / trials_a, successes_b / trials_b
    pooled = (successes_a + successes_b) / (trials_a + trials_b)
    null_variance = pooled * (1 - pooled) * (1 / trials_a + 1 / trials_b)
    if null_variance == 0:
        msg = (
            f"every trial had the same outcome ({successes_a}/{trials_a}, {successes_b}/{trials_b})"
        )
        raise InvalidMeasureInput(msg, field="successes_a")
    difference = rate_b - rate_a
    z = difference / math.sqrt(null_variance)
    spread = math.sqrt(rate_a * (1 - rate_a) / trials_a + rate_b * (1 - rate_b) / trials_b)
    half = float(norm.ppf(0.5 + confidence / 2)) * spread
    return ProportionTest(
        rate_a=rate_a,
        rate_b=rate_b,
        difference=difference,
        z=z,
        p_value=float(2 * norm.sf(abs(z))),
        low=difference - half,
        high=difference + half,
        confidence=confidence,
    )
