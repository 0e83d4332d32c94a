"""Answering a recommendation request: the shopper's history, the blend, then the rules.

Pure over its inputs: the engine passes the live profile, the catalog and the time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from shopstream.catalog import ONLINE, Catalog, category_key
from shopstream.core import CustomerId, ProductId, StoreId
from shopstream.profiles import Profile
from shopstream.recommend.blend import Blend
from shopstream.recommend.interactions import Behaviour, Interaction
from shopstream.recommend.rules import Placement, RecommendRules, Shopper, apply_rules
from shopstream.recommend.scored import Scored

_DEPTH_FACTOR = 5


@dataclass(frozen=True, slots=True)
class RecommendRequest:
    placement: Placement
    limit: int = 10
    product_id: ProductId | None = None
    store_id: StoreId | None = None


@dataclass(frozen=True, slots=True)
class Item:
    product_id: ProductId
    score: float
    reason: str
    in_stock: bool
    store_id: StoreId | None
    zone_id: str | None


def history_of(profile: Profile | None, customer_id: CustomerId) -> list[Interaction]:
    """The profile's product history as interactions, oldest first."""
    if profile is None:
        return []
    found: list[Interaction] = []
    for order in profile.orders or ():
        found += [Interaction(customer_id, line.product_id, Behaviour.ORDER, order.at,
                              order_id=order.order_id) for line in order.items]  # fmt: skip
    for product_id in profile.wishlist or ():
        found.append(Interaction(customer_id, ProductId(product_id), Behaviour.WISHLIST,
                                 profile.last_seen))  # fmt: skip
    for product_id, at in profile.views or ():
        found.append(Interaction(customer_id, ProductId(product_id), Behaviour.VIEW, at))
    cart_at = profile.cart_at or profile.last_seen
    for product_id in profile.cart or {}:
        found.append(Interaction(customer_id, product_id, Behaviour.CART, cart_at))
    found.sort(key=lambda i: i.at)
    return found


def shopper_store(profile: Profile | None, request: RecommendRequest) -> StoreId | None:
    """The store whose stock counts: the request's, else where the shopper is, else home."""
    if request.store_id is not None:
        return request.store_id
    if profile is None:
        return None
    if profile.store_id is not None:
        return profile.store_id
    if profile.visits:
        return max(profile.visits.items(), key=lambda kv: (kv[1].count, kv[0]))[0]
    return None


def recommend(
    request: RecommendRequest,
    customer_id: CustomerId,
    profile: Profile | None,
    *,
    blend: Blend,
    catalog: Catalog,
    rules: RecommendRules,
    now: float,
) -> list[Item]:
    """The ranked items for one request, each with its reason and stock."""
    history = history_of(profile, customer_id)
    if request.product_id is not None:
        history.append(Interaction(customer_id, request.product_id, Behaviour.VIEW, now))
    store = shopper_store(profile, request)
    at_store_only = request.placement is Placement.ASSOCIATE and store is not None
    describe = _describer(catalog)

    def in_stock(product: ProductId) -> bool:
        if store is not None and catalog.available(product, store) > 0:
            return True
        return not at_store_only and catalog.available(product, ONLINE) > 0

    shopper = Shopper(
        placement=request.placement,
        cart=frozenset(profile.cart or {}) if profile else frozenset(),
        purchased=frozenset(line.product_id for o in (profile.orders or ()) for line in o.items)
        if profile else frozenset(),
        anchor=request.product_id,
    )  # fmt: skip
    candidates: list[Scored] = blend.recommend(history, request.limit * _DEPTH_FACTOR)
    chosen = apply_rules(candidates, shopper, rules, describe=describe,
                         in_stock=in_stock if _knows_stock(catalog) else lambda _: True,
                         k=request.limit)  # fmt: skip
    return [_item(s, catalog, store, in_stock) for s in chosen]


def _knows_stock(catalog: Catalog) -> bool:
    """A catalogue with no stock at all has not been given inventory: do not filter by it."""
    return catalog.has_stock()


def _describer(catalog: Catalog) -> Callable[[ProductId], tuple[str | None, str | None]]:
    def describe(product_id: ProductId) -> tuple[str | None, str | None]:
        product = catalog.product(product_id)
        if product is None:
            return None, None
        return (category_key(product.category) if product.category else None), product.brand

    return describe


def _item(
    scored: Scored, catalog: Catalog, store: StoreId | None, in_stock: Callable[[ProductId], bool]
) -> Item:
    zone = None
    product = catalog.product(scored.product_id)
    if store is not None and product is not None and product.category and catalog.store(store):
        found = catalog.zone_for(store, product.category)
        zone = found.id if found else None
    return Item(scored.product_id, round(scored.score, 6), scored.reason,
                in_stock(scored.product_id), store, zone)  # fmt: skip
