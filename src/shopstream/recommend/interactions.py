"""What recommenders learn from: one shopper touching one product, and how much it counts.

An :class:`Interaction` is the event-ish update that ``fit`` and ``partial_fit`` take and
that a request's history is made of. :func:`interactions_from_event` turns a track event
(its Segment name and properties) into interactions, so the engine feeds recommenders from
the same log as profiles; it reads plain values, so this package needs nothing of
``events``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from shopstream.core import CustomerId, ProductId
from shopstream.recommend.params import require_non_negative


class Behaviour(StrEnum):
    """How strongly a shopper engaged with a product, weakest first."""

    VIEW = "view"
    WISHLIST = "wishlist"
    CART = "cart"
    ORDER = "order"


@dataclass(frozen=True, slots=True)
class BehaviourWeights:
    """How much each behaviour counts; a view counts least, an order most.

    Examples:
        >>> BehaviourWeights().of(Behaviour.CART)
        3.0
        >>> BehaviourWeights(view=-1.0)
        Traceback (most recent call last):
        ...
        shopstream.recommend.errors.InvalidRecommenderParams: BehaviourWeights.view must be >= 0; got -1.0
    """

    view: float = 1.0
    wishlist: float = 2.0
    cart: float = 3.0
    order: float = 4.0

    def __post_init__(self) -> None:
        for behaviour in Behaviour:
            require_non_negative("BehaviourWeights", behaviour.value, self.of(behaviour))

    def of(self, behaviour: Behaviour) -> float:
        # A Behaviour is the str of its field's name: no ``.value`` (an enum property, slow)
        # on a path that runs for every interaction.
        return float(getattr(self, behaviour))


DEFAULT_WEIGHTS = BehaviourWeights()
"""view 1, wish list 2, cart 3, order 4."""


@dataclass(frozen=True, slots=True)
class Interaction:
    """One shopper touching one product at ``at`` (POSIX seconds, UTC).

    ``category`` feeds per-category trends; ``order_id`` groups the lines of one order.
    """

    customer_id: CustomerId
    product_id: ProductId
    behaviour: Behaviour
    at: float
    category: str | None = None
    order_id: str | None = None


BEHAVIOURS: Mapping[str, Behaviour] = {
    "Product Viewed": Behaviour.VIEW,
    "Product Clicked": Behaviour.VIEW,
    "Product Added to Wishlist": Behaviour.WISHLIST,
    "Product Added": Behaviour.CART,
    "Wishlist Product Added to Cart": Behaviour.CART,
    "Order Completed": Behaviour.ORDER,
}
"""The Segment e-commerce events that recommenders learn from, and what each one means."""


def interactions_from_event(
    event: str, properties: Mapping[str, Any], at: float, customer_id: CustomerId
) -> list[Interaction]:
    """The interactions one track event carries: one per product line it names.

    ``event`` and ``properties`` are a track message's (Segment names, snake_case
    properties); ``at`` its timestamp in POSIX seconds. Events that are not about products
    (searches, coupons, store visits...) give no interaction.

    Examples:
        >>> lines = [{"product_id": "p1"}, {"product_id": "p2", "category": "Home"}]
        >>> [(i.product_id, i.behaviour.value, i.order_id) for i in interactions_from_event(
        ...     "Order Completed", {"order_id": "o1", "products": lines}, 0.0, CustomerId("c"))]
        [('p1', 'order', 'o1'), ('p2', 'order', 'o1')]
    """
    behaviour = BEHAVIOURS.get(event)
    if behaviour is None:
        return []
    lines: list[Mapping[str, Any]]
    if behaviour is Behaviour.ORDER:
        products = properties.get("products") or ()
        lines = [line for line in products if isinstance(line, Mapping)]
    else:
        lines = [properties]
    order_id = properties.get("order_id") if behaviour is Behaviour.ORDER else None
    found = []
    for line in lines:
        product_id = line.get("product_id")
        if not product_id:
            continue
        category = line.get("category")
        found.append(
            Interaction(
                customer_id=customer_id,
                product_id=ProductId(str(product_id)),
                behaviour=behaviour,
                at=at,
                category=str(category) if category else None,
                order_id=str(order_id) if order_id else None,
            )
        )
    return found
