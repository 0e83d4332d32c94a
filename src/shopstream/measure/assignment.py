"""Deterministic experiment and holdout assignment by canonical customer id.

A customer's arm is a pure function of the experiment, its salt and the canonical customer
id, so it is the same on every channel, process and day, with nothing stored (STYLE rule
11: a stable hash, never an RNG). Two independent hashes decide it:

- ``stable_hash("{experiment}:{salt}:holdout:{customer}")`` puts a ``holdout`` fraction of
  customers aside; growing the holdout only moves customers into it;
- ``stable_hash("{experiment}:{salt}:variant:{customer}")`` places the others on the
  cumulative weights of the variants.

Changing the salt re-randomises; different experiments are independent of each other.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping
from itertools import accumulate

from shopstream.core import CustomerId, stable_hash
from shopstream.measure.errors import InvalidExperiment

HOLDOUT = "holdout"
"""The arm of customers kept out of the experiment (they see the baseline experience)."""

_HASH_SPACE = float(2**53)


def assign(
    experiment_id: str,
    salt: str,
    customer_id: CustomerId,
    variants: Mapping[str, float],
    holdout: float = 0.0,
) -> str:
    """The variant (or :data:`HOLDOUT`) of ``customer_id`` in ``experiment_id``.

    Args:
        experiment_id: the experiment's stable name.
        salt: changed to re-randomise an experiment under the same name.
        customer_id: the canonical customer id (identity-resolved, so sticky across channels).
        variants: variant name -> positive weight (any scale; ``{"a": 1, "b": 1}`` is 50/50).
        holdout: fraction of customers in [0, 1) kept out before the split.

    Raises:
        InvalidExperiment: no variants, a weight that is not positive and finite, a variant
            named ``holdout``, or a holdout fraction outside [0, 1).

    Examples:
        >>> assign("checkout-copy", "2026-03", CustomerId("c-1"), {"control": 1, "short": 1})
        'control'
    """
    _validate(variants, holdout)
    if holdout and _unit(f"{experiment_id}:{salt}:holdout:{customer_id}") < holdout:
        return HOLDOUT
    bounds = list(accumulate(variants.values()))
    point = _unit(f"{experiment_id}:{salt}:variant:{customer_id}") * bounds[-1]
    # min(): rounding may put ``point`` on the top bound itself.
    return list(variants)[min(bisect_right(bounds, point), len(bounds) - 1)]


def _unit(key: str) -> float:
    """``key`` hashed to [0, 1): its top 53 bits, exactly what a float holds."""
    return (stable_hash(key) >> 11) / _HASH_SPACE


def _validate(variants: Mapping[str, float], holdout: float) -> None:
    if not variants:
        msg = "an experiment needs at least one variant; got none"
        raise InvalidExperiment(msg, field="variants")
    for name, weight in variants.items():
        if name == HOLDOUT:
            msg = f"{HOLDOUT!r} is reserved for the holdout; rename that variant"
            raise InvalidExperiment(msg, field=f"variants[{name!r}]")
        if not (weight > 0 and math.isfinite(weight)):
            msg = f"variants[{name!r}] must be a positive, finite weight; got {weight!r}"
            raise InvalidExperiment(msg, field=f"variants[{name!r}]")
    if not 0 <= holdout < 1:
        msg = f"holdout must be a fraction in [0, 1); got {holdout!r}"
        raise InvalidExperiment(msg, field="holdout")
