"""Always-valid p-values for experiments watched as they run: the mixture SPRT (mSPRT).

Johari, Koomen, Pekelis and Walsh, "Always Valid Inference" (KDD 2017; Optimizely's Stats
Engine). At each look ``n`` the estimate of the effect is ``d_n`` (``mean_b - mean_a``, or
``rate_b - rate_a``) with variance ``V_n`` (``var_a/n_a + var_b/n_b``). Mixing the effect
``theta`` over a normal prior ``N(0, tau**2)`` gives the likelihood ratio against
``theta = 0`` in closed form::

    Lambda_n = sqrt(V_n / (V_n + tau**2)) * exp(d_n**2 * tau**2 / (2 * V_n * (V_n + tau**2)))

``Lambda_n`` is a martingale under the null, so by Ville's inequality
``P(sup_n Lambda_n >= 1/alpha) <= alpha`` and the always-valid p-value

    p_n = min(p_{n-1}, 1 / Lambda_n),   p_0 = 1

can be read after every look, at any stopping time, keeping the false-positive rate at
most ``alpha``. It never increases. Inverting ``Lambda_n(theta) < 1/alpha`` gives a
confidence sequence, intersected over looks::

    d_n +/- sqrt(V_n * (V_n + tau**2) / tau**2 * (2 * log(1/alpha) + log((V_n + tau**2) / V_n)))

``tau`` is on the scale of the effect: about the size of the effects one expects (for a
conversion rate near 5%, ``tau = 0.01``). The variances are plug-in estimates, as in the
paper; the guarantee then holds as the samples grow. Pure Python.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from shopstream.measure.errors import InvalidMeasureInput


@dataclass(frozen=True, slots=True)
class Look:
    """One look at a running experiment: the estimated ``difference`` and its ``variance``."""

    difference: float
    variance: float

    def __post_init__(self) -> None:
        if not (self.variance > 0 and math.isfinite(self.variance)):
            msg = f"Look.variance must be finite and > 0; got {self.variance!r}"
            raise InvalidMeasureInput(msg, field="variance")

    @classmethod
    def of_means(
        cls, n_a: int, mean_a: float, variance_a: float, n_b: int, mean_b: float, variance_b: float
    ) -> Look:
        """A look at a difference of means from each arm's size, mean and variance so far."""
        if n_a < 1 or n_b < 1:
            msg = f"each arm needs at least one observation; got n_a={n_a}, n_b={n_b}"
            raise InvalidMeasureInput(msg, field="n_a")
        return cls(mean_b - mean_a, variance_a / n_a + variance_b / n_b)

    @classmethod
    def of_proportions(
        cls, successes_a: int, trials_a: int, successes_b: int, trials_b: int
    ) -> Look:
        """A look at a difference of conversion rates from each arm's counts so far."""
        if not (
            0 <= successes_a <= trials_a and 0 <= successes_b <= trials_b and trials_a and trials_b
        ):
            msg = f"need 0 <= successes <= trials > 0; got {successes_a}/{trials_a}, {successes_b}/{trials_b}"
            raise InvalidMeasureInput(msg, field="successes_a")
        rate_a, rate_b = successes_a / trials_a, successes_b / trials_b
        return cls.of_means(
            trials_a, rate_a, rate_a * (1 - rate_a), trials_b, rate_b, rate_b * (1 - rate_b)
        )


@dataclass(frozen=True, slots=True)
class SequentialTest:
    """Per look: the always-valid ``p_values`` (non-increasing) and the confidence sequence
    ``[lows, highs]`` at level ``1 - alpha``; ``rejected_at`` is the index of the first look
    with ``p < alpha`` (``None`` while the null stands)."""

    p_values: tuple[float, ...]
    lows: tuple[float, ...]
    highs: tuple[float, ...]
    alpha: float
    rejected_at: int | None


def mixture_likelihood_ratio(look: Look, tau: float) -> float:
    """``Lambda`` of one look against a zero effect (see the module's docstring)."""
    total = look.variance + tau**2
    log_ratio = 0.5 * math.log(look.variance / total) + look.difference**2 * tau**2 / (
        2 * look.variance * total
    )
    return math.exp(min(log_ratio, 700.0))


def msprt(looks: Iterable[Look], *, tau: float, alpha: float = 0.05) -> SequentialTest:
    """The mixture SPRT over successive looks (each from all the data up to it).

    Raises:
        InvalidMeasureInput: ``tau`` is not positive or ``alpha`` not in (0, 1).

    Examples:
        >>> looks = [Look.of_proportions(40, 1000, 60, 1000), Look.of_proportions(80, 2000, 130, 2000)]
        >>> [round(p, 4) for p in msprt(looks, tau=0.02).p_values]
        [0.4151, 0.0111]
    """
    if not (tau > 0 and math.isfinite(tau)):
        msg = f"tau must be finite and > 0; got {tau!r}"
        raise InvalidMeasureInput(msg, field="tau")
    if not 0 < alpha < 1:
        msg = f"alpha must be in (0, 1); got {alpha!r}"
        raise InvalidMeasureInput(msg, field="alpha")
    p_values: list[float] = []
    lows: list[float] = []
    highs: list[float] = []
    p, low, high = 1.0, -math.inf, math.inf
    rejected_at: int | None = None
    for index, look in enumerate(looks):
        p = min(p, 1 / mixture_likelihood_ratio(look, tau))
        total = look.variance + tau**2
        half = math.sqrt(
            look.variance
            * total
            / tau**2
            * (2 * math.log(1 / alpha) + math.log(total / look.variance))
        )
        low, high = max(low, look.difference - half), min(high, look.difference + half)
        p_values.append(p)
        lows.append(low)
        highs.append(high)
        if rejected_at is None and p < alpha:
            rejected_at = index
    return SequentialTest(tuple(p_values), tuple(lows), tuple(highs), alpha, rejected_at)
