"""The tunables of live profiles, in one frozen value."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import timedelta
from types import MappingProxyType

from shopstream.events import EventName
from shopstream.profiles.errors import InvalidProfileRules

_AFFINITY_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        EventName.PRODUCT_VIEWED: 1.0,
        EventName.PRODUCT_CLICKED: 0.5,
        EventName.PRODUCT_ADDED_TO_WISHLIST: 2.0,
        EventName.PRODUCT_ADDED: 3.0,
        EventName.CHECKOUT_STARTED: 3.0,
        EventName.ORDER_COMPLETED: 5.0,
    }
)
_INTENT_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        EventName.PRODUCTS_SEARCHED: 0.5,
        EventName.PRODUCT_LIST_VIEWED: 0.5,
        EventName.PRODUCT_CLICKED: 0.5,
        EventName.PRODUCT_VIEWED: 1.0,
        EventName.PRODUCT_ADDED_TO_WISHLIST: 1.5,
        EventName.CART_VIEWED: 2.0,
        EventName.PRODUCT_ADDED: 3.0,
        EventName.CHECKOUT_STARTED: 5.0,
        EventName.PAYMENT_INFO_ENTERED: 6.0,
    }
)


@dataclass(frozen=True, slots=True)
class ProfileRules:
    """How profiles weigh, decay, bound and expire what they keep.

    Affinity weights are per event (per product line for events with a ``products`` list);
    intent weights are per event. Events missing from a mapping do not move the score.
    ``Order Completed`` ends the shopping intent (resets it to 0).

    Examples:
        >>> ProfileRules(recent_views=5).recent_views
        5
        >>> ProfileRules(recent_views=0)
        Traceback (most recent call last):
        ...
        shopstream.profiles.errors.InvalidProfileRules: recent_views must be >= 1; got 0
    """

    affinity_half_life: timedelta = timedelta(days=14)
    intent_half_life: timedelta = timedelta(minutes=10)
    session_timeout: timedelta = timedelta(minutes=30)
    presence_ttl: timedelta = timedelta(hours=2)
    recent_views: int = 20
    recent_orders: int = 10
    max_affinities: int = 32
    max_cart_lines: int = 100
    max_wishlist: int = 100
    affinity_weights: Mapping[str, float] = field(default_factory=lambda: _AFFINITY_WEIGHTS)
    intent_weights: Mapping[str, float] = field(default_factory=lambda: _INTENT_WEIGHTS)

    def __post_init__(self) -> None:
        for spec in fields(self):
            value = getattr(self, spec.name)
            if isinstance(value, timedelta) and value <= timedelta(0):
                msg = f"{spec.name} must be a positive duration; got {value!r}"
                raise InvalidProfileRules(msg, field=spec.name)
            if isinstance(value, int) and value < 1:
                msg = f"{spec.name} must be >= 1; got {value}"
                raise InvalidProfileRules(msg, field=spec.name)
            if isinstance(value, Mapping):
                for event, weight in value.items():
                    if not (
                        isinstance(weight, int | float) and math.isfinite(weight) and weight >= 0
                    ):
                        msg = f"{spec.name}[{event!r}] must be a finite number >= 0; got {weight!r}"
                        raise InvalidProfileRules(msg, field=f"{spec.name}.{event}")
                object.__setattr__(self, spec.name, MappingProxyType(dict(value)))
