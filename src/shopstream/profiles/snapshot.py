"""Profiles to and from JSON-able dicts, for snapshots taken with the log offset they reflect."""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from typing import Any

from shopstream.core import CustomerId, ProductId, StoreId
from shopstream.events import Channel
from shopstream.profiles.errors import InvalidProfileSnapshot
from shopstream.profiles.features import Affinities, DecayedScore, RecentItems
from shopstream.profiles.models import Order, OrderLine, Profile, Purpose, StoreVisits


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def profile_to_dict(profile: Profile) -> dict[str, Any]:
    """Everything a profile holds; ``None`` and empty parts are left out."""
    data: dict[str, Any] = {
        "last_offset": profile.last_offset,
        "event_count": profile.event_count,
        "first_seen": _finite(profile.first_seen),
        "last_seen": _finite(profile.last_seen),
        "channels": {str(c): n for c, n in profile.channels.items()},
        "traits": profile.traits,
        "traits_at": _finite(profile.traits_at),
        "consent": {str(p): [g, at] for p, (g, at) in profile.consent.items()}
        if profile.consent is not None
        else None,
        "order_count": profile.order_count,
        "revenue": profile.revenue,
        "last_order_at": profile.last_order_at,
        "orders": [
            [
                o.order_id,
                o.total,
                o.channel,
                o.store_id,
                o.at,
                [[i.product_id, i.quantity, i.price] for i in o.items],
            ]
            for o in profile.orders
        ]
        if profile.orders is not None
        else None,
        "categories": [profile.categories.scores, profile.categories.as_of]
        if profile.categories is not None
        else None,
        "brands": [profile.brands.scores, profile.brands.as_of]
        if profile.brands is not None
        else None,
        "views": [profile.views.ids, list(profile.views.times)]
        if profile.views is not None
        else None,
        "cart": profile.cart,
        "cart_at": profile.cart_at,
        "wishlist": profile.wishlist,
        "visits": {s: [v.count, v.last_at] for s, v in profile.visits.items()}
        if profile.visits is not None
        else None,
        "presence": [profile.store_id, profile.zone_id, profile.presence_at]
        if profile.presence_at is not None
        else None,
        "intent": [profile.intent.value, profile.intent.as_of],
        "sessions": profile.sessions,
    }
    return {key: value for key, value in data.items() if value is not None and value != {}}


def _i(value: str) -> str:
    return sys.intern(value)


def profile_from_dict(customer_id: CustomerId, data: Mapping[str, Any]) -> Profile:
    """The inverse of :func:`profile_to_dict`.

    Raises:
        InvalidProfileSnapshot: the data is malformed.
    """
    try:
        return _load(customer_id, data)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        msg = f"profile {customer_id!r} in the snapshot is malformed: {exc!r}"
        raise InvalidProfileSnapshot(msg, field=f"profiles.{customer_id}") from None


def _load(customer_id: CustomerId, data: Mapping[str, Any]) -> Profile:
    p = Profile(customer_id)
    p.last_offset = int(data["last_offset"])
    p.event_count = int(data["event_count"])
    if data.get("first_seen") is not None:
        p.first_seen = float(data["first_seen"])
    if data.get("last_seen") is not None:
        p.last_seen = float(data["last_seen"])
    p.channels = {Channel(c): int(n) for c, n in data.get("channels", {}).items()}
    if "traits" in data:
        p.traits = dict(data["traits"])
    if data.get("traits_at") is not None:
        p.traits_at = float(data["traits_at"])
    if "consent" in data:
        p.consent = {Purpose(k): (bool(g), float(at)) for k, (g, at) in data["consent"].items()}
    p.order_count = int(data["order_count"])
    p.revenue = float(data["revenue"])
    p.last_order_at = data.get("last_order_at")
    if "orders" in data:
        p.orders = [
            Order(
                order_id=order_id,
                total=float(total),
                channel=Channel(channel) if channel else None,
                store_id=StoreId(_i(store_id)) if store_id else None,
                at=float(at),
                items=tuple(
                    OrderLine(ProductId(_i(pid)), int(q), price) for pid, q, price in items
                ),
            )
            for order_id, total, channel, store_id, at, items in data["orders"]
        ]
    for name in ("categories", "brands"):
        if name in data:
            scores, as_of = data[name]
            affinities = Affinities({_i(k): float(v) for k, v in scores.items()}, float(as_of))
            setattr(p, name, affinities)
    if "views" in data:
        ids, times = data["views"]
        p.views = RecentItems([_i(pid) for pid in ids], [float(t) for t in times])
    if "cart" in data:
        p.cart = {ProductId(_i(pid)): int(q) for pid, q in data["cart"].items()}
    p.cart_at = data.get("cart_at")
    if "wishlist" in data:
        p.wishlist = [ProductId(_i(pid)) for pid in data["wishlist"]]
    if "visits" in data:
        p.visits = {
            StoreId(_i(s)): StoreVisits(int(n), float(at)) for s, (n, at) in data["visits"].items()
        }
    if "presence" in data:
        store_id, zone_id, at = data["presence"]
        p.store_id = StoreId(_i(store_id)) if store_id else None
        p.zone_id = _i(zone_id) if zone_id else None
        p.presence_at = float(at)
    value, as_of = data["intent"]
    p.intent = DecayedScore(float(value), float(as_of))
    p.sessions = int(data["sessions"])
    return p
