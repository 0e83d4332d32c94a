"""Sample-ratio mismatch: did the arms receive the traffic the plan said they would?

A chi-square goodness-of-fit test of the observed counts per arm against the planned
split. A mismatch (by convention ``p < 0.001``) means assignment or logging is broken and
the experiment's results should not be trusted. Needs scipy.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from shopstream.measure.errors import InvalidMeasureInput, MissingExtra

try:
    from scipy.stats import chi2
except ImportError as exc:  # pragma: no cover - the ml extra is installed in CI
    msg = f"shopstream.measure's statistics need numpy and scipy: pip install 'shopstream[ml]' ({exc})"
    raise MissingExtra(msg) from exc


@dataclass(frozen=True, slots=True)
class SrmCheck:
    """The chi-square statistic, its degrees of freedom and ``p_value``, the ``expected``
    count per arm, and whether ``p_value < threshold`` (a ``mismatch``)."""

    chi2: float
    df: int
    p_value: float
    expected: dict[str, float]
    mismatch: bool


def sample_ratio_mismatch(
    counts: Mapping[str, int],
    planned: Mapping[str, float],
    *,
    threshold: float = 0.001,
) -> SrmCheck:
    """Test observed ``counts`` per arm against the ``planned`` weights (any positive scale).

    Raises:
        InvalidMeasureInput: arms differ between ``counts`` and ``planned``, fewer than two
            arms, a negative count, a weight that is not positive, or no observations.

    Examples:
        >>> check = sample_ratio_mismatch({"a": 5_000, "b": 5_300}, {"a": 1, "b": 1})
        >>> round(check.p_value, 4), check.mismatch
        (0.0031, False)
    """
    if set(counts) != set(planned) or len(planned) < 2:
        msg = f"counts and planned must name the same two or more arms; got {sorted(counts)} and {sorted(planned)}"
        raise InvalidMeasureInput(msg, field="counts")
    if not 0 < threshold < 1:
        msg = f"threshold must be in (0, 1); got {threshold!r}"
        raise InvalidMeasureInput(msg, field="threshold")
    for arm, weight in planned.items():
        if not (weight > 0 and math.isfinite(weight)):
            msg = f"planned[{arm!r}] must be a positive weight; got {weight!r}"
            raise InvalidMeasureInput(msg, field=f"planned[{arm!r}]")
        if counts[arm] < 0:
            msg = f"counts[{arm!r}] must be >= 0; got {counts[arm]!r}"
            raise InvalidMeasureInput(msg, field=f"counts[{arm!r}]")
    total, weights = sum(counts.values()), sum(planned.values())
    if total == 0:
        msg = "counts are all zero; there is nothing to check"
        raise InvalidMeasureInput(msg, field="counts")
    expected = {arm: total * weight / weights for arm, weight in planned.items()}
    statistic = sum((counts[arm] - e) ** 2 / e for arm, e in expected.items())
    df = len(planned) - 1
    p_value = float(chi2.sf(statistic, df))
    return SrmCheck(
        chi2=statistic, df=df, p_value=p_value, expected=expected, mismatch=p_value < threshold
    )
