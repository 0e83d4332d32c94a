r"""Emerging trends: keys counted faster now than their own baseline says they should be.

For a key, at time ``now``, with a short window ``S`` (1 hour by default) inside a baseline
window ``L`` (7 days):

- ``x``: the key's weighted count in ``S``, which covers ``d_S`` seconds (up to ``now``);
- ``y``: its count in ``L`` before ``S``, over ``d_B`` seconds, measured from the key's first
  cell in ``L`` (so a product launched yesterday is compared with its own day, not a week);
- prior: ``a = prior_rate_per_hour * prior_hours`` pseudo-events over ``b = prior_hours``
  hours, so a key never seen before has a small, finite expected rate.

**Baseline rate.** With a Gamma(a, b) prior and Poisson arrivals, the key's rate given its
baseline is Gamma(shape ``y + a``, rate ``d_B + b``): mean ``r = (y + a) / (d_B + b)``.

**Traffic.** Shoppers come in waves (evenings, paydays, an email blast); a key that keeps its
share of traffic is not emerging. The expectation is scaled by
``g = (O_S + k) / (O_B * d_S / D_B + k)``, the other keys' count in ``S`` against what their
own baseline predicts (``O`` = the counter's total less the key's, ``D_B`` the counter's
baseline seconds, ``k = traffic_prior`` pseudo-events shrinking ``g`` toward 1 when traffic is
thin). The expected count is ``E = r * g * d_S``; the **lift** is ``x / E``.

**Weights.** Counts are weighted (a view 1, an add 3, an order 5), and a weighted sum of
Poisson events is overdispersed: its variance is ``φ`` times its mean, with
``φ = Σw² / Σw`` over the counter's events in ``L``. Counts are divided by ``φ``
(quasi-Poisson), which makes the test exact again when every weight is 1 (``φ = 1``).

**Test.** Under "nothing changed", ``x / φ`` is Poisson with rate ``rate * g * d_S``, where
``rate`` is Gamma(``(y + a) / φ``, ``d_B + b``) in scaled units: a negative binomial, whose
upper tail is

.. math::  p = P(X \ge x/φ) = I_q\big(x/φ, (y + a)/φ\big), \qquad q = \frac{g d_S}{d_B + b + g d_S}

(the regularised incomplete beta). Integrating over the rate, rather than plugging in its
estimate, keeps the test honest for keys with little history; with a long history it tends to
the plain Poisson tail ``P(X >= x | λ = E)``. ``z`` is the normal quantile of ``p``. A key is
*emerging* when ``x >= min_count`` and ``p < alpha``; they are ranked by lift. ``alpha`` is
per key: scanning 10,000 quiet keys at ``alpha = 0.01`` flags about 100 (fewer, since the
count is discrete); divide ``alpha`` by the number of keys for a family-wise bound.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from shopstream.trends.counter import WindowedCounter
from shopstream.trends.rules import TrendRules, Window
from shopstream.trends.significance import negative_binomial_sf, z_score

WEIGHT = "w"
SQUARED_WEIGHT = "w2"
"""Keys of a counter's tally: the sum of weights, and of squared weights, of its events."""


@dataclass(frozen=True, slots=True)
class Emerging:
    """How a key's count in the short window compares with its baseline.

    Attributes:
        key: the product id, category key or search term.
        count: weighted count in the short window.
        expected: the count the baseline predicts, adjusted for traffic.
        lift: ``count / expected``.
        p_value: the chance of a count at least this high if nothing changed.
        z: the standard normal quantile of ``p_value``.
    """

    key: str
    count: int
    expected: float
    lift: float
    p_value: float
    z: float


@dataclass(frozen=True, slots=True)
class _Frame:
    """What every key of one counter shares at one time: windows, traffic and dispersion."""

    head: int
    short_start: float
    baseline_start: float
    short_seconds: float
    others_short: int
    others_baseline: int
    baseline_seconds: float
    dispersion: float


def score(
    counter: WindowedCounter,
    tally: WindowedCounter,
    key: str,
    *,
    short: Window,
    baseline: Window,
    now: float,
    rules: TrendRules,
) -> Emerging:
    """The emerging-trend score of one key at ``now`` (epoch seconds, not before the clock)."""
    return _assess(counter, key, _frame(tally, short, baseline, now, rules), short, baseline, rules)


def rank(
    counter: WindowedCounter,
    tally: WindowedCounter,
    *,
    short: Window,
    baseline: Window,
    now: float,
    rules: TrendRules,
    min_count: int,
    alpha: float,
    k: int,
    accept: Callable[[str], bool] | None = None,
) -> list[Emerging]:
    """The keys with ``count >= min_count`` and ``p_value < alpha``, by lift, at most ``k``."""
    frame = _frame(tally, short, baseline, now, rules)
    found = []
    for key, bound in counter.touched(short.tier, head=frame.head):
        if bound < min_count or (accept is not None and not accept(key)):
            continue
        result = _assess(counter, key, frame, short, baseline, rules)
        if result.count >= min_count and result.p_value < alpha:
            found.append(result)
    found.sort(key=lambda e: (-e.lift, e.p_value, e.key))
    return found[: max(k, 0)]


def _frame(
    tally: WindowedCounter, short: Window, baseline: Window, now: float, rules: TrendRules
) -> _Frame:
    width = rules.layout.widths[0]
    head = int(now) // width
    short_start = tally.window_start(short.tier, head) * width
    baseline_start = tally.window_start(baseline.tier, head) * width
    total_short = tally.count(WEIGHT, short.tier, head=head)
    total, oldest = tally.span(WEIGHT, baseline.tier, head=head)
    squares = tally.count(SQUARED_WEIGHT, baseline.tier, head=head)
    began = baseline_start if oldest is None else max(baseline_start, oldest * width)
    return _Frame(
        head=head,
        short_start=short_start,
        baseline_start=baseline_start,
        short_seconds=now - short_start,
        others_short=total_short,
        others_baseline=total - total_short,
        baseline_seconds=max(short_start - began, 0.0),
        dispersion=squares / total if total else 1.0,
    )


def _assess(
    counter: WindowedCounter,
    key: str,
    frame: _Frame,
    short: Window,
    baseline: Window,
    rules: TrendRules,
) -> Emerging:
    width = rules.layout.widths[0]
    x = counter.count(key, short.tier, head=frame.head)
    total, oldest = counter.span(key, baseline.tier, head=frame.head)
    y = total - x
    began = frame.short_start if oldest is None else max(frame.baseline_start, oldest * width)
    exposure = max(frame.short_start - began, 0.0)
    prior_seconds = rules.prior_hours * 3600.0
    prior_count = rules.prior_rate_per_hour * rules.prior_hours
    traffic = _traffic(frame, x, y, rules.traffic_prior)
    rate = (y + prior_count) / (exposure + prior_seconds)
    seen = traffic * frame.short_seconds
    expected = rate * seen
    p_value = negative_binomial_sf(
        x / frame.dispersion,
        (y + prior_count) / frame.dispersion,
        seen / (exposure + prior_seconds + seen),
    )
    return Emerging(
        key=key,
        count=x,
        expected=expected,
        lift=x / expected,
        p_value=p_value,
        z=z_score(p_value),
    )


def _traffic(frame: _Frame, x: int, y: int, prior: float) -> float:
    """``g``: the other keys' count in the short window over what their baseline predicts."""
    if frame.baseline_seconds <= 0:
        return 1.0
    others_short = max(frame.others_short - x, 0)
    others_baseline = max(frame.others_baseline - y, 0)
    predicted = others_baseline * frame.short_seconds / frame.baseline_seconds
    return (others_short + prior) / (predicted + prior)
