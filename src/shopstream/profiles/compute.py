"""How one event changes one profile: the pure core of :meth:`Profiles.apply`."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from shopstream.catalog import Product, category_key, parse_category
from shopstream.core import ProductId, StoreId
from shopstream.events import EventName, Message
from shopstream.profiles.features import Affinities, DecayedScore, RecentItems
from shopstream.profiles.models import Order, OrderLine, Profile, Purpose, StoreVisits
from shopstream.profiles.rules import ProfileRules

ProductLookup = Callable[[ProductId], Product | None]

_PURPOSES = frozenset(Purpose)
_LINE_EVENTS = frozenset(
    {EventName.CART_VIEWED, EventName.CHECKOUT_STARTED, EventName.ORDER_COMPLETED}
)


def apply_message(
    profile: Profile, message: Message, rules: ProfileRules, lookup: ProductLookup | None
) -> None:
    """Fold one normalised message into ``profile`` (offsets are the caller's business)."""
    timestamp = message.timestamp
    at = timestamp.timestamp() if timestamp else profile.last_seen
    # Every event: sessions, counts, first and last seen, channels (inlined, as it is hot).
    if at - profile.last_seen > rules.session_timeout.total_seconds():
        profile.sessions += 1
        profile.intent = DecayedScore(0.0, at)
    profile.event_count += 1
    if at < profile.first_seen:
        profile.first_seen = at
    if at > profile.last_seen:
        profile.last_seen = at
    channel = message.channel
    if channel is not None:
        channels = profile.channels
        channels[channel] = channels.get(channel, 0) + 1
    ctx_traits = message.context.get("traits")
    if isinstance(ctx_traits, dict) and ctx_traits:
        _set_traits(profile, ctx_traits, at)
    if message.type == "identify":
        _set_traits(profile, message.traits, at)
    if message.type != "track":
        return
    event, props = message.event, message.properties
    intent_weight = rules.intent_weights.get(event, 0.0)
    if intent_weight:
        half_life = rules.intent_half_life.total_seconds()
        profile.intent = profile.intent.add(intent_weight, at, half_life)
    lines: list[Mapping[str, Any]] = []
    if event in _LINE_EVENTS:
        lines = props.get("products") or []
    elif "product_id" in props:
        lines = [props]
    weight = rules.affinity_weights.get(event, 0.0)
    if weight:
        for line in lines:
            _credit(profile, line, weight, at, rules, lookup)
    handler = _HANDLERS.get(event)
    if handler is not None:
        handler(profile, props, message, at, rules)


def _set_traits(profile: Profile, traits: Mapping[str, Any], at: float) -> None:
    """Latest wins: a newer event overwrites, an older one only fills keys not yet known.

    One clock per profile rather than per trait keeps traits lean; it is exact whenever
    events arrive in timestamp order, which the log almost always gives.
    """
    newer = at >= profile.traits_at
    consent = traits.get("consent")
    if isinstance(consent, Mapping):
        for purpose, granted in consent.items():
            if isinstance(granted, bool):
                _set_consent(profile, purpose, granted, at)
    kept = {k: v for k, v in traits.items() if k != "consent"}
    if not kept:
        return
    if profile.traits is None:
        profile.traits = {}
    if newer:
        profile.traits.update(kept)
        profile.traits_at = at
    else:
        for key, value in kept.items():
            profile.traits.setdefault(key, value)


def _set_consent(profile: Profile, purpose: str, granted: bool, at: float) -> None:
    if purpose not in _PURPOSES:
        return
    if profile.consent is None:
        profile.consent = {}
    key = Purpose(purpose)
    current = profile.consent.get(key)
    if current is None or at >= current[1]:
        profile.consent[key] = (granted, at)


def _credit(
    profile: Profile,
    line: Mapping[str, Any],
    weight: float,
    at: float,
    rules: ProfileRules,
    lookup: ProductLookup | None,
) -> None:
    category, brand = line.get("category"), line.get("brand")
    if (not category or not brand) and lookup is not None:
        product = lookup(line["product_id"])
        if product is not None:
            category = category or product.category
            brand = brand or product.brand
    half_life = rules.affinity_half_life.total_seconds()
    if category:
        key = _category_key(category)
        if key:
            if profile.categories is None:
                profile.categories = Affinities()
            profile.categories.add(key, weight, at, half_life, rules.max_affinities)
    if brand:
        if profile.brands is None:
            profile.brands = Affinities()
        profile.brands.add(sys.intern(brand), weight, at, half_life, rules.max_affinities)


def _category_key(category: str | Iterable[str]) -> str:
    """The interned key of a category (text or path), cached: a shop has a few thousand."""
    try:
        return _cached_category_key(category)  # type: ignore[arg-type]
    except TypeError:  # a list: not hashable, not cached
        return sys.intern(category_key(parse_category(category)))


@functools.lru_cache(maxsize=8192)
def _cached_category_key(category: str | tuple[str, ...]) -> str:
    return sys.intern(category_key(parse_category(category)))


def _product_id(props: Mapping[str, Any]) -> ProductId:
    return ProductId(sys.intern(props["product_id"]))


def _quantity(props: Mapping[str, Any]) -> int:
    quantity = props.get("quantity")
    return 1 if quantity is None else int(quantity)


def _viewed(
    profile: Profile, props: Mapping[str, Any], _: Message, at: float, rules: ProfileRules
) -> None:
    if profile.views is None:
        profile.views = RecentItems()
    profile.views.add(_product_id(props), at, rules.recent_views)


def _added(
    profile: Profile, props: Mapping[str, Any], _: Message, at: float, rules: ProfileRules
) -> None:
    product_id, quantity = _product_id(props), _quantity(props)
    if quantity <= 0:
        return
    if profile.cart is None:
        profile.cart = {}
    if product_id not in profile.cart and len(profile.cart) >= rules.max_cart_lines:
        return
    profile.cart[product_id] = profile.cart.get(product_id, 0) + quantity
    profile.cart_at = at


def _removed(
    profile: Profile, props: Mapping[str, Any], _: Message, at: float, rules: ProfileRules
) -> None:
    product_id = _product_id(props)
    if not profile.cart or product_id not in profile.cart:
        return
    left = profile.cart[product_id] - _quantity(props)
    if left > 0:
        profile.cart[product_id] = left
    else:
        del profile.cart[product_id]
    profile.cart_at = at


def _wished(
    profile: Profile, props: Mapping[str, Any], _: Message, at: float, rules: ProfileRules
) -> None:
    product_id = _product_id(props)
    if profile.wishlist is None:
        profile.wishlist = []
    if product_id not in profile.wishlist and len(profile.wishlist) < rules.max_wishlist:
        profile.wishlist.append(product_id)


def _unwished(
    profile: Profile, props: Mapping[str, Any], _: Message, at: float, rules: ProfileRules
) -> None:
    product_id = ProductId(props["product_id"])
    if profile.wishlist and product_id in profile.wishlist:
        profile.wishlist.remove(product_id)


def _ordered(
    profile: Profile, props: Mapping[str, Any], message: Message, at: float, rules: ProfileRules
) -> None:
    profile.cart = None
    profile.cart_at = at
    profile.intent = DecayedScore(0.0, at)
    order_id = props["order_id"]
    if profile.orders is not None and any(o.order_id == order_id for o in profile.orders):
        return  # the same order reported twice (web and POS, a retried send)
    items = tuple(
        OrderLine(_product_id(line), _quantity(line), line.get("price"))
        for line in props.get("products") or ()
    )
    total = props.get("total")
    if total is None:
        total = props.get("revenue")
    if total is None:
        total = sum((line.price or 0.0) * line.quantity for line in items)
    store_id = props.get("store_id")
    order = Order(
        order_id=order_id,
        total=float(total),
        channel=message.channel,
        store_id=StoreId(sys.intern(store_id)) if store_id else None,
        at=at,
        items=items,
    )
    record_order(profile, order, rules)


def record_order(profile: Profile, order: Order, rules: ProfileRules) -> None:
    """Count an order in RFM and keep it among the last ``recent_orders``, oldest first."""
    profile.order_count += 1
    profile.revenue += order.total
    profile.last_order_at = max(profile.last_order_at or order.at, order.at)
    if profile.orders is None:
        profile.orders = []
    profile.orders.append(order)
    profile.orders.sort(key=lambda o: (o.at, o.order_id))
    del profile.orders[: -rules.recent_orders]


def _entered(
    profile: Profile, props: Mapping[str, Any], _: Message, at: float, rules: ProfileRules
) -> None:
    store_id = StoreId(sys.intern(props["store_id"]))
    if profile.visits is None:
        profile.visits = {}
    visits = profile.visits.get(store_id)
    if visits is None:
        profile.visits[store_id] = StoreVisits(1, at)
    else:
        profile.visits[store_id] = StoreVisits(visits.count + 1, max(visits.last_at, at))
    _present(profile, store_id, None, at)


def _zone_entered(
    profile: Profile, props: Mapping[str, Any], _: Message, at: float, rules: ProfileRules
) -> None:
    _present(profile, StoreId(sys.intern(props["store_id"])), sys.intern(props["zone_id"]), at)


def _present(profile: Profile, store_id: StoreId, zone_id: str | None, at: float) -> None:
    if profile.presence_at is None or at >= profile.presence_at:
        profile.store_id, profile.zone_id, profile.presence_at = store_id, zone_id, at


def _exited(
    profile: Profile, props: Mapping[str, Any], _: Message, at: float, rules: ProfileRules
) -> None:
    if profile.store_id == props["store_id"] and at >= (profile.presence_at or at):
        profile.store_id = profile.zone_id = profile.presence_at = None


def _consented(
    profile: Profile, props: Mapping[str, Any], _: Message, at: float, rules: ProfileRules
) -> None:
    _set_consent(profile, props["purpose"], props["granted"], at)


_Handler = Callable[[Profile, Mapping[str, Any], Message, float, ProfileRules], None]
_HANDLERS: dict[str, _Handler] = {
    EventName.PRODUCT_VIEWED: _viewed,
    EventName.PRODUCT_ADDED: _added,
    EventName.PRODUCT_REMOVED: _removed,
    EventName.PRODUCT_ADDED_TO_WISHLIST: _wished,
    EventName.PRODUCT_REMOVED_FROM_WISHLIST: _unwished,
    EventName.ORDER_COMPLETED: _ordered,
    EventName.STORE_ENTERED: _entered,
    EventName.STORE_ZONE_ENTERED: _zone_entered,
    EventName.STORE_EXITED: _exited,
    EventName.CONSENT_UPDATED: _consented,
}
