"""Answering a recommendation request: the shopper's history, the blend, then the rules.

Pure over its inputs: the engine passes the live profile, the catalog, the trends, the
product embeddings and the time. Candidates are the blend's generators' answers, plus what
trends in the shopper's store ("trending in store 12"), fused with the blend's weights;
then the anchor's (or, when the blend knows too little, the latest product's) neighbours
by content, below what behaviour taught; then the rules. Reasons name products by name
("viewed together with Blue Mug").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter

from shopstream.catalog import ONLINE, Catalog, category_key
from shopstream.core import CustomerId, ProductId, StoreId
from shopstream.profiles import Profile
from shopstream.recommend.blend import Blend, fuse
from shopstream.recommend.content import ContentIndex
from shopstream.recommend.interactions import Behaviour, Interaction
from shopstream.recommend.rules import Placement, RecommendRules, Shopper, apply_rules
from shopstream.recommend.scored import Scored
from shopstream.trends import Ranked, TrendKind, Trends, Window

_DEPTH_FACTOR = 5
_SIMILAR_SCORE = 0.3
STORE_TRENDING = "store-trending"
STORE_WINDOW = Window.DAY
BY_EMBEDDINGS = "text embeddings"
BY_WORDS = "shared words"


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


def history_of(
    profile: Profile | None,
    customer_id: CustomerId,
    category_of: Callable[[ProductId], str | None] = lambda _: None,
) -> list[Interaction]:
    """The profile's product history as interactions, oldest first, with each product's
    category (written as events write it, ``Home > Kitchen``) for per-category generators."""
    if profile is None:
        return []
    found: list[tuple[float, ProductId, Behaviour, str | None]] = []
    for order in profile.orders or ():
        found += [(order.at, line.product_id, Behaviour.ORDER, order.order_id)
                  for line in order.items]  # fmt: skip
    for product_id in profile.wishlist or ():
        found.append((profile.last_seen, ProductId(product_id), Behaviour.WISHLIST, None))
    for product_id, at in profile.views or ():
        found.append((at, ProductId(product_id), Behaviour.VIEW, None))
    cart_at = profile.cart_at or profile.last_seen
    for product_id in profile.cart or {}:
        found.append((cart_at, product_id, Behaviour.CART, None))
    found.sort(key=itemgetter(0))  # stable: equal times keep the order above
    return [Interaction(customer_id, product_id, behaviour, at, category_of(product_id), order)
            for at, product_id, behaviour, order in found]  # fmt: skip


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
    trends: Trends | None = None,
    store_weight: float = 0.0,
    content: ContentIndex | None = None,
    store_cache: StoreTrendingCache | None = None,
) -> list[Item]:
    """The ranked items for one request, each with its reason and stock.

    ``trends`` and ``store_weight`` add what trends in the shopper's store; ``content``
    finds cold-start neighbours by text embeddings (by shared words without it).
    """
    category_of = _category_of(catalog)
    history = history_of(profile, customer_id, category_of)
    if request.product_id is not None:
        history.append(Interaction(customer_id, request.product_id, Behaviour.VIEW, now,
                                   category=category_of(request.product_id)))  # fmt: skip
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
    depth = request.limit * _DEPTH_FACTOR
    answers = blend.answers(history)
    weights = dict(blend.weights)
    if store is not None and trends is not None and store_weight > 0:
        answers[STORE_TRENDING] = store_trending(trends, catalog, store, now, blend.depth,
                                                 store_cache)  # fmt: skip
        weights[STORE_TRENDING] = store_weight
    candidates: list[Scored] = fuse(answers, weights, depth)
    anchor = request.product_id
    if anchor is None and len(candidates) < depth and history:
        anchor = history[-1].product_id  # the blend knows too little: a cold start
    if anchor is not None:
        learned = {c.product_id for c in candidates}
        candidates += [c for c in similar(catalog, anchor, depth, content)
                       if c.product_id not in learned]  # fmt: skip
    chosen = apply_rules(candidates, shopper, rules, describe=describe,
                         in_stock=in_stock if _knows_stock(catalog) else lambda _: True,
                         k=request.limit)  # fmt: skip
    return [_item(s, catalog, store, in_stock) for s in chosen]


class StoreTrendingCache:
    """A store's ranking, asked of the trends at most once a second: every request in a
    store reads the same day-long window, and a second's lag does not change what trends
    over a day (the shopper's own events still count at once, through the blend)."""

    def __init__(self) -> None:
        self._answers: dict[tuple[int, StoreId, int], tuple[int, list[Ranked]]] = {}

    def top(self, trends: Trends, store: StoreId, now: float, k: int) -> list[Ranked]:
        key, second = (id(trends), store, k), int(now)
        found = self._answers.get(key)
        if found is None or found[0] != second:
            when = datetime.fromtimestamp(now, UTC)
            ranked = trends.top(TrendKind.PRODUCT, STORE_WINDOW, when, k, store_id=store)
            if len(self._answers) > 10_000:  # stores x depths x trends: bounded anyway
                self._answers.clear()
            found = self._answers[key] = (second, ranked)
        return found[1]


def store_trending(
    trends: Trends,
    catalog: Catalog,
    store: StoreId,
    now: float,
    k: int,
    cache: StoreTrendingCache | None = None,
) -> list[Scored]:
    """The products counted most in ``store`` over the last day (views, carts, orders made
    there or by shoppers in it), reason naming the store as the shopper knows it."""
    if cache is not None:
        ranked = cache.top(trends, store, now, k)
    else:
        ranked = trends.top(TrendKind.PRODUCT, STORE_WINDOW, datetime.fromtimestamp(now, UTC),
                            k, store_id=store)  # fmt: skip
    known = catalog.store(store)
    where = known.name if known is not None and known.name else f"store {store}"
    return [Scored(ProductId(r.key), float(r.count), f"trending in {where}") for r in ranked]


def similar(
    catalog: Catalog, product_id: ProductId, k: int, content: ContentIndex | None = None
) -> list[Scored]:
    """The cold-start neighbours of a product nobody has viewed with others yet: closest by
    text embeddings when ``content`` has the product's vector, else sharing the most words
    of its category, brand and name. Scored below what the blend learned
    (``_SIMILAR_SCORE``, halving down the list), so behaviour wins where it exists; the
    reason says which way they were found."""
    product = catalog.product(product_id)
    if product is None:
        return []
    found: list[ProductId] = []
    how = BY_EMBEDDINGS
    if content is not None and content.has(product_id):
        found = [p for p, _ in content.neighbours(product_id, k) if catalog.product(p)]
    if not found:
        how = BY_WORDS
        words = " ".join([*product.category, product.brand or "", product.name])
        found = [p.id for p in catalog.search(words, k + 1) if p.id != product_id][:k]
    return [Scored(p, _SIMILAR_SCORE / (1 + rank), f"similar to {product.name} ({how})")
            for rank, p in enumerate(found)]  # fmt: skip


def _knows_stock(catalog: Catalog) -> bool:
    """A catalogue with no stock at all has not been given inventory: do not filter by it."""
    return catalog.has_stock()


def _category_of(catalog: Catalog) -> Callable[[ProductId], str | None]:
    def category_of(product_id: ProductId) -> str | None:
        product = catalog.product(product_id)
        return " > ".join(product.category) if product is not None and product.category else None

    return category_of


def _describer(catalog: Catalog) -> Callable[[ProductId], tuple[str | None, str | None]]:
    """A product's (category key, brand), each worked out once per request."""
    known: dict[ProductId, tuple[str | None, str | None]] = {}

    def describe(product_id: ProductId) -> tuple[str | None, str | None]:
        found = known.get(product_id)
        if found is None:
            product = catalog.product(product_id)
            if product is None:
                found = (None, None)
            else:
                category = category_key(product.category) if product.category else None
                found = (category, product.brand)
            known[product_id] = found
        return found

    return describe


def _item(
    scored: Scored, catalog: Catalog, store: StoreId | None, in_stock: Callable[[ProductId], bool]
) -> Item:
    zone = None
    product = catalog.product(scored.product_id)
    if store is not None and product is not None and product.category and catalog.store(store):
        found = catalog.zone_for(store, product.category)
        zone = found.id if found else None
    return Item(scored.product_id, round(scored.score, 6), named_reason(scored, catalog),
                in_stock(scored.product_id), store, zone)  # fmt: skip


def named_reason(scored: Scored, catalog: Catalog) -> str:
    """The reason with the product it refers to by name: "viewed together with Blue Mug"
    rather than "... with p1" (the id stays when the catalogue does not know the product)."""
    about = scored.about
    if about is None or not scored.reason.endswith(about):
        return scored.reason
    product = catalog.product(about)
    if product is None or not product.name:
        return scored.reason
    return scored.reason[: -len(about)] + product.name
