"""The values a profile holds, and the profile itself.

A :class:`Profile` is mutable state owned by :class:`~shopstream.profiles.Profiles`; what
it holds (orders, visits, scores) are frozen values. Every optional part starts as ``None``
and is created on first use, so a profile only pays for what its shopper did.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from shopstream.core import CustomerId, ProductId, StoreId
from shopstream.events import Channel
from shopstream.profiles.features import Affinities, DecayedScore, RecentItems

_NEVER = -math.inf  # one shared float, not one per profile


class Purpose(StrEnum):
    """What a shopper may consent to."""

    PERSONALIZATION = "personalization"
    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"
    ADS = "ads"


@dataclass(frozen=True, slots=True)
class OrderLine:
    product_id: ProductId
    quantity: int
    price: float | None


@dataclass(frozen=True, slots=True)
class Order:
    order_id: str
    total: float
    channel: Channel | None
    store_id: StoreId | None
    at: float
    items: tuple[OrderLine, ...]


@dataclass(frozen=True, slots=True)
class StoreVisits:
    count: int
    last_at: float


class Profile:
    """The live state of one customer. Times are POSIX seconds (see ``features``)."""

    __slots__ = (
        "brands",
        "cart",
        "cart_at",
        "categories",
        "channels",
        "consent",
        "customer_id",
        "event_count",
        "first_seen",
        "intent",
        "last_offset",
        "last_order_at",
        "last_seen",
        "order_count",
        "orders",
        "presence_at",
        "revenue",
        "sessions",
        "store_id",
        "traits",
        "traits_at",
        "views",
        "visits",
        "wishlist",
        "zone_id",
    )

    def __init__(self, customer_id: CustomerId) -> None:
        self.customer_id = customer_id
        self.last_offset = -1
        self.event_count = 0
        self.first_seen = math.inf
        self.last_seen = _NEVER
        self.channels: dict[Channel, int] = {}
        self.traits: dict[str, object] | None = None
        self.traits_at = _NEVER
        self.consent: dict[Purpose, tuple[bool, float]] | None = None
        self.order_count = 0
        self.revenue = 0.0
        self.last_order_at: float | None = None
        self.orders: list[Order] | None = None
        self.categories: Affinities | None = None
        self.brands: Affinities | None = None
        self.views: RecentItems | None = None
        self.cart: dict[ProductId, int] | None = None
        self.cart_at: float | None = None
        self.wishlist: list[ProductId] | None = None
        self.visits: dict[StoreId, StoreVisits] | None = None
        self.store_id: StoreId | None = None
        self.zone_id: str | None = None
        self.presence_at: float | None = None
        self.intent = DecayedScore()
        self.sessions = 0

    def consents_to(self, purpose: Purpose) -> bool | None:
        """The latest consent for ``purpose``; ``None`` when the shopper never said."""
        if self.consent is None or purpose not in self.consent:
            return None
        return self.consent[purpose][0]

    def __repr__(self) -> str:
        return f"Profile({self.customer_id!r}, events={self.event_count})"
