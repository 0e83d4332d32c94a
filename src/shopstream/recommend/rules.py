"""Business rules applied to candidates: stock, already bought, in cart, boost/bury, diversity.

Rules run after the generators, on a deeper candidate list than the answer needs, so that
what the rules remove is replaced by the next best candidates. Each rule is a plain value:
a retailer's merchandisers configure them, and the same rules give the same answer.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from shopstream.core import ProductId
from shopstream.recommend.errors import InvalidRecommenderParams
from shopstream.recommend.scored import Scored


class Placement(StrEnum):
    HOME = "home"
    PRODUCT = "product"
    CART = "cart"
    EMAIL = "email"
    PUSH = "push"
    ASSOCIATE = "associate"
    AD = "ad"


@dataclass(frozen=True, slots=True)
class BoostRule:
    """Multiply the score of matching products: ``factor > 1`` boosts, ``< 1`` buries.

    A rule matches by category prefix (``"Home/Kitchen"`` matches ``"Home/Kitchen/Kettles"``),
    by brand, or by product id; ``factor = 0`` removes the matches.
    """

    factor: float
    category: str | None = None
    brand: str | None = None
    products: frozenset[ProductId] = frozenset()

    def __post_init__(self) -> None:
        if not self.factor >= 0:
            msg = f"BoostRule.factor must be >= 0; got {self.factor}"
            raise InvalidRecommenderParams(msg, field="factor")
        if self.category is None and self.brand is None and not self.products:
            msg = "BoostRule needs a category, a brand or products to match"
            raise InvalidRecommenderParams(msg, field="category")

    def matches(self, product: ProductId, category: str | None, brand: str | None) -> bool:
        if product in self.products:
            return True
        if self.brand is not None and brand == self.brand:
            return True
        return (
            self.category is not None
            and category is not None
            and (category == self.category or category.startswith(self.category + "/"))
        )


_CART_AWARE = frozenset({Placement.HOME, Placement.PRODUCT, Placement.CART, Placement.EMAIL,
                         Placement.PUSH})  # fmt: skip


@dataclass(frozen=True, slots=True)
class RecommendRules:
    """What every answer obeys.

    Args:
        max_per_category: diversity; at most this many items of one category.
        exclude_purchased: leave out what the shopper already bought...
        repeatable_categories: ...except in these categories (prefixes), bought again often.
        exclude_cart_on: placements that leave out what is already in the cart.
        require_stock: only items in stock at the shopper's store (current, else home) or
            online; at the ``associate`` placement, at that store.
        boosts: boost and bury rules, applied in order.
    """

    max_per_category: int = 3
    exclude_purchased: bool = True
    repeatable_categories: frozenset[str] = frozenset()
    exclude_cart_on: frozenset[Placement] = _CART_AWARE
    require_stock: bool = True
    boosts: tuple[BoostRule, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.max_per_category < 1:
            msg = f"RecommendRules.max_per_category must be >= 1; got {self.max_per_category}"
            raise InvalidRecommenderParams(msg, field="max_per_category")

    def repeatable(self, category: str | None) -> bool:
        return category is not None and any(
            category == c or category.startswith(c + "/") for c in self.repeatable_categories
        )


@dataclass(frozen=True, slots=True)
class Shopper:
    """What the rules need to know of the shopper and the moment."""

    placement: Placement
    cart: Collection[ProductId] = frozenset()
    purchased: Collection[ProductId] = frozenset()
    anchor: ProductId | None = None


Describe = Callable[[ProductId], tuple[str | None, str | None]]
"""A product's (category key, brand)."""


def apply_rules(
    candidates: Sequence[Scored],
    shopper: Shopper,
    rules: RecommendRules,
    *,
    describe: Describe,
    in_stock: Callable[[ProductId], bool],
    k: int,
) -> list[Scored]:
    """The ``k`` best candidates that pass every rule, boosted and diversified.

    Without boost rules the order is the candidates' own, so candidates are ruled on best
    first and only until ``k`` are chosen: the same answer, for a fraction of the lookups.
    """
    if not rules.boosts:
        ranked = sorted(candidates, key=lambda s: (-s.score, s.product_id))
        passing = (s for s in ranked if _passes(s.product_id, shopper, rules, describe, in_stock))
        return diversify(passing, rules.max_per_category, describe, k)
    kept: list[Scored] = []
    for scored in candidates:
        product = scored.product_id
        if not _passes(product, shopper, rules, describe, in_stock):
            continue
        category, brand = describe(product)
        score = scored.score
        for boost in rules.boosts:
            if boost.matches(product, category, brand):
                score *= boost.factor
        if score > 0:
            kept.append(Scored(product, score, scored.reason, scored.about))
    kept.sort(key=lambda s: (-s.score, s.product_id))
    return diversify(kept, rules.max_per_category, describe, k)


def _passes(
    product: ProductId,
    shopper: Shopper,
    rules: RecommendRules,
    describe: Describe,
    in_stock: Callable[[ProductId], bool],
) -> bool:
    """Whether a product may be shown at all: not the anchor, not in the cart (at this
    placement), not already bought (unless bought again in its category), in stock."""
    if product == shopper.anchor:
        return False
    if shopper.placement in rules.exclude_cart_on and product in shopper.cart:
        return False
    if (rules.exclude_purchased and product in shopper.purchased
            and not rules.repeatable(describe(product)[0])):  # fmt: skip
        return False
    return not rules.require_stock or in_stock(product)


def diversify(
    ranked: Iterable[Scored], per_category: int, describe: Describe, k: int
) -> list[Scored]:
    """The first ``k`` items with at most ``per_category`` of any one category."""
    chosen: list[Scored] = []
    counts: dict[str | None, int] = {}
    for scored in ranked:
        category = describe(scored.product_id)[0]
        if category is not None and counts.get(category, 0) >= per_category:
            continue
        counts[category] = counts.get(category, 0) + 1
        chosen.append(scored)
        if len(chosen) == k:
            break
    return chosen
