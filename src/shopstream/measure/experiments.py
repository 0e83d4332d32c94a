"""An experiment's results, analysed by exposure. Needs numpy and scipy.

A customer enters at their first exposure (see :mod:`~shopstream.measure.experiment_config`)
in the experiment's window, in the arm :func:`~shopstream.measure.assign` gives them. Their
outcomes from that moment to the end (or now) make the per-customer metrics:

- converted (placed an order), revenue, orders (each order id once);
- per arm: conversion rate, revenue per customer, average order value (revenue / orders),
  attach rate (orders with at least ``attach_quantity`` items / orders).

Each arm is compared with the control by the two-proportion z-test (conversion, attach),
Welch's t-test (revenue per customer, order value), CUPED on revenue per customer with the
revenue of the ``covariate_days`` before each customer's exposure, and the mSPRT
always-valid p-value and confidence sequence over looks every ``look_hours``; a
sample-ratio-mismatch check compares the arms' sizes with the plan.
"""

from __future__ import annotations

import contextlib
import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shopstream.core import CustomerId
from shopstream.measure.cuped import cuped
from shopstream.measure.errors import InvalidMeasureInput
from shopstream.measure.experiment_config import ExperimentSpec
from shopstream.measure.outcomes import ORDER, MeasuredEvent
from shopstream.measure.proportions import proportion_ztest
from shopstream.measure.sequential import Look, msprt
from shopstream.measure.srm import sample_ratio_mismatch
from shopstream.measure.welch import welch_ttest

_MAX_LOOKS = 400


@dataclass(frozen=True, slots=True, order=True)
class Order:
    at: datetime
    revenue: float
    quantity: int


@dataclass(frozen=True, slots=True)
class Subject:
    """One exposed customer: arm, first exposure, orders after it, revenue up to it."""

    customer_id: CustomerId
    arm: str
    exposed_at: datetime
    orders: tuple[Order, ...]
    revenue_before: float

    def until(self, moment: datetime) -> tuple[Order, ...]:
        return tuple(o for o in self.orders if o.at < moment)


def subjects(
    spec: ExperimentSpec,
    exposures: Mapping[CustomerId, datetime],
    events: Sequence[MeasuredEvent],
    *,
    now: datetime,
) -> list[Subject]:
    """The exposed customers with their outcomes (``events`` under canonical ids)."""
    end = min(spec.end or now, now)
    orders: dict[CustomerId, dict[str, tuple[datetime, float, int]]] = defaultdict(dict)
    for e in events:
        if e.event == ORDER:
            orders[e.customer_id].setdefault(e.order_id or f"offset-{e.offset}",
                                             (e.at, e.revenue, e.quantity))  # fmt: skip
    found = []
    before = timedelta(days=spec.covariate_days)
    for customer_id, exposed_at in sorted(exposures.items()):
        if not spec.start <= exposed_at < end:
            continue
        mine = orders.get(customer_id, {}).values()
        # An order at the very moment of the exposure is the one that caused it (a trigger
        # on ``Order Completed``): it belongs before the treatment, never to its outcome.
        after = tuple(sorted(Order(at, rev, qty) for at, rev, qty in mine
                             if exposed_at < at < end))  # fmt: skip
        prior = sum(rev for at, rev, _ in mine if exposed_at - before <= at <= exposed_at)
        found.append(Subject(customer_id, spec.arm_of(customer_id), exposed_at, after, prior))
    return found


def _arm_summary(arm: str, group: Sequence[Subject], attach: int) -> dict[str, Any]:
    orders = [o for s in group for o in s.orders]
    revenue = sum(o.revenue for o in orders)
    n = len(group)
    return {
        "arm": arm,
        "customers": n,
        "converters": sum(1 for s in group if s.orders),
        "conversionRate": sum(1 for s in group if s.orders) / n if n else None,
        "revenue": round(revenue, 2),
        "revenuePerCustomer": revenue / n if n else None,
        "orders": len(orders),
        "aov": revenue / len(orders) if orders else None,
        "attachRate": sum(1 for o in orders if o.quantity >= attach) / len(orders)
        if orders
        else None,
    }


def _safe(compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """A statistic, or why it cannot be computed yet (too few customers, no variance)."""
    try:
        return compute()
    except InvalidMeasureInput as exc:
        return {"unavailable": exc.message}


def _proportion(
    successes_a: int, n_a: int, successes_b: int, n_b: int, confidence: float
) -> dict[str, Any]:
    r = proportion_ztest(successes_a, n_a, successes_b, n_b, confidence=confidence)
    return {"control": r.rate_a, "variant": r.rate_b, "difference": r.difference, "z": r.z,
            "pValue": r.p_value, "low": r.low, "high": r.high}  # fmt: skip


def _welch(a: Sequence[float], b: Sequence[float], confidence: float) -> dict[str, Any]:
    if len(a) < 2 or len(b) < 2:
        msg = f"each arm needs two or more values; got {len(a)} and {len(b)}"
        raise InvalidMeasureInput(msg, field="values")
    r = welch_ttest(a, b, confidence=confidence)
    if not math.isfinite(r.p_value):
        msg = "both arms have no variance"
        raise InvalidMeasureInput(msg, field="values")
    return {"control": r.mean_a, "variant": r.mean_b, "difference": r.difference, "t": r.t,
            "df": r.df, "pValue": r.p_value, "low": r.low, "high": r.high}  # fmt: skip


def _cuped(a: Sequence[Subject], b: Sequence[Subject], confidence: float) -> dict[str, Any]:
    if len(a) < 2 or len(b) < 2:
        msg = f"each arm needs two or more customers; got {len(a)} and {len(b)}"
        raise InvalidMeasureInput(msg, field="customers")
    r = cuped([_revenue(s) for s in a], [s.revenue_before for s in a],
              [_revenue(s) for s in b], [s.revenue_before for s in b], confidence=confidence)  # fmt: skip
    adj = r.adjusted
    return {"theta": r.theta, "varianceReduction": r.variance_reduction,
            "difference": adj.difference, "pValue": adj.p_value, "low": adj.low,
            "high": adj.high}  # fmt: skip


def _revenue(subject: Subject, until: datetime | None = None) -> float:
    orders = subject.orders if until is None else subject.until(until)
    return sum(o.revenue for o in orders)


def _looks(spec: ExperimentSpec, end: datetime) -> list[datetime]:
    step = timedelta(hours=spec.look_hours)
    count = min(_MAX_LOOKS, max(1, math.ceil((end - spec.start) / step)))
    step = max(step, (end - spec.start) / count)
    return [min(end, spec.start + step * (i + 1)) for i in range(count)]


def _sequential(
    spec: ExperimentSpec, a: Sequence[Subject], b: Sequence[Subject], end: datetime
) -> dict[str, Any]:
    conversion: list[Look] = []
    revenue: list[Look] = []
    for moment in _looks(spec, end):
        seen_a = [s for s in a if s.exposed_at < moment]
        seen_b = [s for s in b if s.exposed_at < moment]
        if len(seen_a) < 2 or len(seen_b) < 2:
            continue
        conv_a = sum(1 for s in seen_a if s.until(moment))
        conv_b = sum(1 for s in seen_b if s.until(moment))
        rev_a = [_revenue(s, moment) for s in seen_a]
        rev_b = [_revenue(s, moment) for s in seen_b]
        # A look where an arm has no variance yet (all or none converted) is skipped.
        with contextlib.suppress(InvalidMeasureInput):
            conversion.append(Look.of_proportions(conv_a, len(seen_a), conv_b, len(seen_b)))
        with contextlib.suppress(InvalidMeasureInput):
            revenue.append(
                Look.of_means(len(rev_a), _mean(rev_a), _variance(rev_a),
                              len(rev_b), _mean(rev_b), _variance(rev_b))
            )  # fmt: skip
    return {
        "conversion": _msprt(conversion, spec.tau_conversion, spec.alpha),
        "revenuePerCustomer": _msprt(revenue, spec.tau_revenue, spec.alpha),
    }


def _msprt(looks: list[Look], tau: float, alpha: float) -> dict[str, Any]:
    if not looks:
        return {"unavailable": "no look had variance in both arms yet"}
    r = msprt(looks, tau=tau, alpha=alpha)
    return {"looks": len(looks), "pValue": r.p_values[-1], "low": r.lows[-1],
            "high": r.highs[-1], "rejectedAtLook": r.rejected_at}  # fmt: skip


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def _variance(values: Sequence[float]) -> float:
    mean = _mean(values)
    return sum((v - mean) ** 2 for v in values) / (len(values) - 1)


def analyze(
    spec: ExperimentSpec,
    exposures: Mapping[CustomerId, datetime],
    events: Sequence[MeasuredEvent],
    *,
    now: datetime,
) -> dict[str, Any]:
    """The experiment's results as of ``now`` (see the module docstring)."""
    end = min(spec.end or now, now)
    people = subjects(spec, exposures, events, now=now)
    arms: dict[str, list[Subject]] = {arm: [] for arm in spec.arms}
    for subject in people:
        arms[subject.arm].append(subject)
    counts = {arm: len(group) for arm, group in arms.items()}
    srm = _safe(lambda: _srm(counts, spec.planned()))
    control = arms[spec.baseline]
    comparisons = []
    level = spec.confidence
    for arm, group in arms.items():
        if arm == spec.baseline:
            continue
        orders_a = [o for s in control for o in s.orders]
        orders_b = [o for s in group for o in s.orders]
        comparisons.append({
            "arm": arm,
            "vs": spec.baseline,
            "conversion": _safe(lambda g=group: _proportion(
                sum(1 for s in control if s.orders), len(control),
                sum(1 for s in g if s.orders), len(g), level)),
            "revenuePerCustomer": _safe(lambda g=group: _welch(
                [_revenue(s) for s in control], [_revenue(s) for s in g], level)),
            "revenuePerCustomerCuped": _safe(lambda g=group: _cuped(control, g, level)),
            "aov": _safe(lambda a=orders_a, b=orders_b: _welch(
                [o.revenue for o in a], [o.revenue for o in b], level)),
            "attachRate": _safe(lambda a=orders_a, b=orders_b: _proportion(
                sum(1 for o in a if o.quantity >= spec.attach_quantity), len(a),
                sum(1 for o in b if o.quantity >= spec.attach_quantity), len(b), level)),
            "sequential": _sequential(spec, control, group, end),
        })  # fmt: skip
    return {
        "experiment": spec.id,
        "control": spec.baseline,
        "start": spec.start,
        "end": spec.end,
        "asOf": end,
        "confidence": level,
        "arms": [_arm_summary(arm, group, spec.attach_quantity) for arm, group in arms.items()],
        "srm": srm,
        "comparisons": comparisons,
    }


def _srm(counts: dict[str, int], planned: dict[str, float]) -> dict[str, Any]:
    if len(counts) < 2:
        msg = "a single arm has no ratio to check"
        raise InvalidMeasureInput(msg, field="counts")
    r = sample_ratio_mismatch(counts, planned)
    return {"chi2": r.chi2, "df": r.df, "pValue": r.p_value, "expected": r.expected,
            "mismatch": r.mismatch}  # fmt: skip
