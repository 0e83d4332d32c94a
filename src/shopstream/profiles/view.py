"""A profile rendered for the API, the associate app and decisions, as of a moment."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shopstream.profiles.compute import ProductLookup
from shopstream.profiles.features import Affinities
from shopstream.profiles.models import Order, Profile, Purpose
from shopstream.profiles.rules import ProfileRules


def _iso(moment: float | None) -> str | None:
    if moment is None:
        return None
    return datetime.fromtimestamp(moment, UTC).isoformat()


def _top(
    affinities: Affinities | None, at: float, rules: ProfileRules, top: int
) -> list[dict[str, Any]]:
    if affinities is None:
        return []
    ranked = affinities.top(at, rules.affinity_half_life.total_seconds(), top)
    return [{"key": key, "score": round(score, 6)} for key, score in ranked]


def _order(order: Order) -> dict[str, Any]:
    return {
        "order_id": order.order_id,
        "total": order.total,
        "channel": order.channel,
        "store_id": order.store_id,
        "at": _iso(order.at),
        "items": [
            {"product_id": line.product_id, "quantity": line.quantity, "price": line.price}
            for line in order.items
        ],
    }


def render(
    profile: Profile,
    rules: ProfileRules,
    now: datetime,
    *,
    top: int = 10,
    lookup: ProductLookup | None = None,
) -> dict[str, Any]:
    """A JSON-able view of ``profile`` at ``now``.

    Decayed scores are evaluated at ``now``; the current store and zone appear only within
    ``presence_ttl`` of the last presence signal, and the session intent only while the
    session is open. With ``lookup``, cart lines carry the product's name and price.
    """
    at = now.timestamp()
    present = profile.presence_at is not None and at - profile.presence_at <= (
        rules.presence_ttl.total_seconds()
    )
    in_session = at - profile.last_seen <= rules.session_timeout.total_seconds()
    cart_lines = []
    for product_id, quantity in (profile.cart or {}).items():
        line: dict[str, Any] = {"product_id": product_id, "quantity": quantity}
        product = lookup(product_id) if lookup is not None else None
        if product is not None:
            line.update(name=product.name, price=product.price)
        cart_lines.append(line)
    last_order = profile.last_order_at
    return {
        "customer_id": profile.customer_id,
        "first_seen": _iso(profile.first_seen) if profile.event_count else None,
        "last_seen": _iso(profile.last_seen) if profile.event_count else None,
        "event_count": profile.event_count,
        "channels": {str(channel): count for channel, count in sorted(profile.channels.items())},
        "traits": dict(profile.traits or {}),
        "consent": {str(p): profile.consents_to(p) for p in Purpose},
        "rfm": {
            "last_order_at": _iso(last_order),
            "days_since_last_order": None if last_order is None else (at - last_order) / 86400,
            "order_count": profile.order_count,
            "revenue": round(profile.revenue, 2),
        },
        "affinities": {
            "categories": _top(profile.categories, at, rules, top),
            "brands": _top(profile.brands, at, rules, top),
        },
        "recently_viewed": [
            {"product_id": product_id, "at": _iso(seen)} for product_id, seen in profile.views or ()
        ],
        "cart": {"lines": cart_lines, "updated_at": _iso(profile.cart_at)},
        "wishlist": list(profile.wishlist or ()),
        "orders": [_order(order) for order in reversed(profile.orders or ())],
        "store_visits": [
            {"store_id": store_id, "count": v.count, "last_visit": _iso(v.last_at)}
            for store_id, v in sorted((profile.visits or {}).items())
        ],
        "presence": {
            "store_id": profile.store_id,
            "zone_id": profile.zone_id,
            "since": _iso(profile.presence_at),
        }
        if present and profile.store_id is not None
        else None,
        "session": {
            "active": in_session,
            "intent": round(profile.intent.at(at, rules.intent_half_life.total_seconds()), 6)
            if in_session
            else 0.0,
            "sessions": profile.sessions,
        },
    }
