"""The tunables of trends: windows and their buckets, event weights, and the emerging test's priors."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from types import MappingProxyType

from shopstream.events import EventName
from shopstream.trends.errors import InvalidTrendRules


class Window(StrEnum):
    """The sliding windows every counter keeps, shortest first."""

    FIVE_MINUTES = "5m"
    HOUR = "1h"
    DAY = "1d"
    WEEK = "7d"

    @property
    def seconds(self) -> int:
        return _SPANS[self]

    @property
    def tier(self) -> int:
        """The position of the window in :data:`WINDOWS` (and of its tier of buckets)."""
        return _TIERS[self]


_SPANS = {Window.FIVE_MINUTES: 300, Window.HOUR: 3600, Window.DAY: 86_400, Window.WEEK: 604_800}
WINDOWS: tuple[Window, ...] = tuple(Window)
_TIERS = {window: tier for tier, window in enumerate(WINDOWS)}


class TrendKind(StrEnum):
    """What is counted: products, category paths (every level) or normalised search terms."""

    PRODUCT = "product"
    CATEGORY = "category"
    SEARCH = "search"


PRODUCT_EVENTS = frozenset(
    {
        EventName.PRODUCT_VIEWED,
        EventName.PRODUCT_CLICKED,
        EventName.PRODUCT_ADDED,
        EventName.PRODUCT_ADDED_TO_WISHLIST,
        EventName.WISHLIST_PRODUCT_ADDED_TO_CART,
        EventName.PRODUCT_SHARED,
        EventName.PRODUCT_REVIEWED,
    }
)
"""Events about one product (``properties.product_id``) that may carry a weight."""

LINE_EVENTS = frozenset({EventName.CHECKOUT_STARTED, EventName.ORDER_COMPLETED})
"""Events about a list of products (``properties.products``): each line counts once."""

SEARCH_EVENTS = frozenset({EventName.PRODUCTS_SEARCHED})
COUNTED_EVENTS = PRODUCT_EVENTS | LINE_EVENTS | SEARCH_EVENTS

_WEIGHTS: Mapping[str, int] = MappingProxyType(
    {
        EventName.PRODUCT_VIEWED: 1,
        EventName.PRODUCT_ADDED: 3,
        EventName.ORDER_COMPLETED: 5,
        EventName.PRODUCTS_SEARCHED: 1,
    }
)


@dataclass(frozen=True, slots=True)
class Layout:
    """Bucket widths and counts per window, derived from :attr:`TrendRules.bucket_seconds`.

    ``multiples[j]`` is the width of tier ``j`` in tier-0 buckets, ``cells[j]`` its number
    of buckets (``span / width``).
    """

    widths: tuple[int, ...]
    cells: tuple[int, ...]
    multiples: tuple[int, ...]

    @classmethod
    def of(cls, widths: tuple[int, ...]) -> Layout:
        return cls(
            widths=widths,
            cells=tuple(w.seconds // b for w, b in zip(WINDOWS, widths, strict=True)),
            multiples=tuple(b // widths[0] for b in widths),
        )


@dataclass(frozen=True, slots=True)
class TrendRules:
    """How trends bucket time, weigh events, keep signals and judge what is emerging.

    Args:
        bucket_seconds: bucket width of each window of :data:`WINDOWS` (5m, 1h, 1d, 7d).
            Each must divide its window and the next width; a window must outlast the one
            before it by at least its own bucket (so windows nest).
        weights: integer weight per event; events left out are not counted. Only the events
            of :data:`COUNTED_EVENTS` can be weighted.
        signal_ttl: how long a signal holds when it says nothing of ``valid_until``.
        prior_rate_per_hour: the emerging test's prior rate of a key (weighted events an hour).
        prior_hours: the weight of that prior, as hours of observation.
        traffic_prior: pseudo-count (weighted events) that shrinks the traffic adjustment
            toward 1 when a counter has little traffic.
        max_query_length: search terms are cut to this many characters.
        max_keys: the most keys one counter (a kind, for all channels or one store) keeps;
            :meth:`Trends.expire` drops the least recently counted beyond it, so memory stays
            bounded however many distinct products or queries a stream has.

    Examples:
        >>> TrendRules().layout.cells
        (30, 60, 96, 84)
        >>> TrendRules(bucket_seconds=(7, 60, 900, 7200))
        Traceback (most recent call last):
        ...
        shopstream.trends.errors.InvalidTrendRules: bucket_seconds[0] (7 s) must divide the 5m window (300 s) and the next bucket (60 s)
    """

    bucket_seconds: tuple[int, int, int, int] = (10, 60, 900, 7200)
    weights: Mapping[str, int] = field(default_factory=lambda: _WEIGHTS)
    signal_ttl: timedelta = timedelta(hours=6)
    prior_rate_per_hour: float = 1 / 24
    prior_hours: float = 0.25
    traffic_prior: float = 10.0
    max_query_length: int = 64
    max_keys: int = 1_000_000
    layout: Layout = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._check_buckets()
        weights: dict[str, int] = {}
        for event, weight in self.weights.items():
            if event not in COUNTED_EVENTS:
                msg = f"weights can only be given to {sorted(COUNTED_EVENTS)}; got {event!r}"
                raise InvalidTrendRules(msg, field="weights")
            if not isinstance(weight, int) or isinstance(weight, bool) or weight < 1:
                msg = f"weights[{event!r}] must be an integer >= 1; got {weight!r}"
                raise InvalidTrendRules(msg, field="weights")
            weights[EventName(event)] = weight
        object.__setattr__(self, "weights", MappingProxyType(weights))
        if self.signal_ttl <= timedelta(0):
            msg = f"signal_ttl must be a positive duration; got {self.signal_ttl!r}"
            raise InvalidTrendRules(msg, field="signal_ttl")
        for name in ("prior_rate_per_hour", "prior_hours", "traffic_prior"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                msg = f"{name} must be a positive number; got {value!r}"
                raise InvalidTrendRules(msg, field=name)
        if self.max_query_length < 1:
            msg = f"max_query_length must be >= 1; got {self.max_query_length}"
            raise InvalidTrendRules(msg, field="max_query_length")
        if (
            isinstance(self.max_keys, bool)
            or not isinstance(self.max_keys, int)
            or self.max_keys < 1
        ):
            msg = f"max_keys must be an integer >= 1; got {self.max_keys!r}"
            raise InvalidTrendRules(msg, field="max_keys")
        object.__setattr__(self, "layout", Layout.of(self.bucket_seconds))

    def _check_buckets(self) -> None:
        widths = self.bucket_seconds
        if len(widths) != len(WINDOWS) or not all(
            isinstance(b, int) and not isinstance(b, bool) and b >= 1 for b in widths
        ):
            msg = f"bucket_seconds must be {len(WINDOWS)} integers >= 1, one per window; got {widths!r}"
            raise InvalidTrendRules(msg, field="bucket_seconds")
        for tier, (window, width) in enumerate(zip(WINDOWS, widths, strict=True)):
            following = widths[tier + 1] if tier + 1 < len(widths) else width
            if window.seconds % width or following % width:
                msg = (
                    f"bucket_seconds[{tier}] ({width} s) must divide the {window} window "
                    f"({window.seconds} s) and the next bucket ({following} s)"
                )
                raise InvalidTrendRules(msg, field="bucket_seconds")
            if tier and window.seconds - WINDOWS[tier - 1].seconds < width:
                msg = (
                    f"bucket_seconds[{tier}] ({width} s) must not exceed the {window} window "
                    f"less the {WINDOWS[tier - 1]} window, or the windows would not nest"
                )
                raise InvalidTrendRules(msg, field="bucket_seconds")
