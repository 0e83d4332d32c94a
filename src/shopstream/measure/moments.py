"""The summary of one sample that the tests of means need: size, mean and variance.

Needs numpy (``pip install 'shopstream[ml]'``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from shopstream.measure.errors import InvalidMeasureInput, MissingExtra

try:
    import numpy as np
    from numpy.typing import ArrayLike
except ImportError as exc:  # pragma: no cover - the ml extra is installed in CI
    msg = f"shopstream.measure's statistics need numpy and scipy: pip install 'shopstream[ml]' ({exc})"
    raise MissingExtra(msg) from exc


@dataclass(frozen=True, slots=True)
class Moments:
    """``n`` observations with their ``mean`` and unbiased ``variance`` (``ddof=1``).

    Streams keep these as running sums; :meth:`of` summarises an array.

    Examples:
        >>> Moments.of([1.0, 2.0, 3.0])
        Moments(n=3, mean=2.0, variance=1.0)
    """

    n: int
    mean: float
    variance: float

    def __post_init__(self) -> None:
        if self.n < 2:
            msg = f"Moments.n must be >= 2 to estimate a variance; got {self.n!r}"
            raise InvalidMeasureInput(msg, field="n")
        if not (self.variance >= 0 and math.isfinite(self.variance)):
            msg = f"Moments.variance must be finite and >= 0; got {self.variance!r}"
            raise InvalidMeasureInput(msg, field="variance")

    @classmethod
    def of(cls, values: ArrayLike) -> Moments:
        data = as_vector(values, "values")
        if data.size < 2:
            msg = f"a sample needs >= 2 observations to estimate a variance; got {data.size}"
            raise InvalidMeasureInput(msg, field="values")
        return cls(n=int(data.size), mean=float(data.mean()), variance=float(data.var(ddof=1)))


def as_vector(values: ArrayLike, name: str) -> np.ndarray:
    """``values`` as a finite one-dimensional float array, or :class:`InvalidMeasureInput`."""
    data = np.asarray(values, dtype=float)
    if data.ndim != 1:
        msg = f"{name} must be one-dimensional; got shape {data.shape}"
        raise InvalidMeasureInput(msg, field=name)
    if not np.isfinite(data).all():
        msg = f"{name} must hold finite numbers only; got NaN or infinity"
        raise InvalidMeasureInput(msg, field=name)
    return data


def require_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        msg = f"confidence must be in (0, 1); got {confidence!r}"
        raise InvalidMeasureInput(msg, field="confidence")
