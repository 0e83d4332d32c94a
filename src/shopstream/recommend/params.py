"""Validation of hyper-parameters, shared by every recommender's ``__post_init__``."""

from __future__ import annotations

import math

from shopstream.recommend.errors import InvalidRecommenderParams


def require_positive(owner: str, name: str, value: float) -> None:
    """Raise unless ``value`` is > 0 (``math.inf`` is allowed: "never decays")."""
    if not value > 0:
        msg = f"{owner}.{name} must be > 0; got {value!r}"
        raise InvalidRecommenderParams(msg, field=name)


def require_non_negative(owner: str, name: str, value: float) -> None:
    if not (value >= 0 and not math.isnan(value)):
        msg = f"{owner}.{name} must be >= 0; got {value!r}"
        raise InvalidRecommenderParams(msg, field=name)


def require_at_least(owner: str, name: str, value: int, minimum: int) -> None:
    if value < minimum:
        msg = f"{owner}.{name} must be an integer >= {minimum}; got {value!r}"
        raise InvalidRecommenderParams(msg, field=name)
