"""How shoppers answer what they are shown: the hook bandit and recommender tests pull.

A shopper takes up an item with probability ``sigmoid(bias + affinity)``, where the
affinity is their hidden :meth:`Taste.affinity <shopstream.simulate.shoppers.Taste.affinity>`
at the offered price; items further down a list are noticed less
(``1 / (1 + position_decay * rank)``). Shown several items, they take up the offer when they
take up any of them. The simulator's own email clicks and push opens use the same model, so
what a policy learns from simulated traffic transfers to the hook.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from shopstream.catalog import Product
from shopstream.core import ProductId
from shopstream.simulate.catalogue import Catalogue
from shopstream.simulate.shoppers import Shopper, Taste


@dataclass(frozen=True, slots=True)
class Offer:
    """Products shown together (best first), with a discount off their price.

    Examples:
        >>> Offer((ProductId("p00001"),), discount=0.1).discount
        0.1
        >>> Offer((ProductId("p00001"),), discount=1.5)
        Traceback (most recent call last):
        ...
        ValueError: discount must be in [0, 1); got 1.5
    """

    product_ids: tuple[ProductId, ...]
    discount: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.discount < 1.0:
            msg = f"discount must be in [0, 1); got {self.discount}"
            raise ValueError(msg)


def acceptance(
    taste: Taste,
    products: Sequence[Product],
    catalogue: Catalogue,
    *,
    discount: float = 0.0,
    bias: float = -3.0,
    position_decay: float = 0.3,
) -> float:
    """The probability that a shopper with ``taste`` takes up at least one of ``products``."""
    missed = 1.0
    for rank, product in enumerate(products):
        price = product.price * (1.0 - discount) if product.price else None
        reference = catalogue.reference_price(product.category)
        utility = bias + taste.affinity(product, reference, price=price)
        missed *= 1.0 - logistic(utility) / (1.0 + position_decay * rank)
    return 1.0 - missed


class Responder:
    """Shoppers answering offers and recommendations, by their hidden taste.

    Args:
        catalogue: the products offers name.
        seed: the same seed gives the same answers to the same questions.
        bias: the log-odds of taking up an item of average affinity; -3 is about 5 %.
        position_decay: how much less an item is noticed per rank down a list.

    Examples:
        >>> from shopstream.simulate.catalogue import generate_catalogue
        >>> from shopstream.simulate.shoppers import generate_shoppers
        >>> catalogue = generate_catalogue(seed=1)
        >>> shopper = generate_shoppers(catalogue, 1, seed=1)[0]
        >>> responder = Responder(catalogue, seed=1)
        >>> liked = max(catalogue.products, key=lambda p: responder.probability(shopper, [p.id]))
        >>> disliked = min(catalogue.products, key=lambda p: responder.probability(shopper, [p.id]))
        >>> responder.probability(shopper, [liked.id]) > 10 * responder.probability(shopper, [disliked.id])
        True
        >>> responder.respond(shopper, Offer((liked.id,), discount=0.2)) in (True, False)
        True
    """

    def __init__(
        self,
        catalogue: Catalogue,
        *,
        seed: int | None = None,
        bias: float = -3.0,
        position_decay: float = 0.3,
    ) -> None:
        if not (math.isfinite(bias) and math.isfinite(position_decay) and position_decay >= 0):
            msg = f"bias must be finite and position_decay finite and >= 0; got {bias}, {position_decay}"
            raise ValueError(msg)
        self.catalogue = catalogue
        self.bias = bias
        self.position_decay = position_decay
        self._rng = random.Random(seed)

    def probability(self, shopper: Shopper, offer: Offer | Sequence[ProductId]) -> float:
        """The chance the shopper clicks or buys (``KeyError`` for an unknown product)."""
        if isinstance(offer, Offer):
            ids, discount = offer.product_ids, offer.discount
        else:
            ids, discount = tuple(offer), 0.0
        products = [self.catalogue.product(product_id) for product_id in ids]
        return acceptance(
            shopper.taste,
            products,
            self.catalogue,
            discount=discount,
            bias=self.bias,
            position_decay=self.position_decay,
        )

    def respond(self, shopper: Shopper, offer: Offer | Sequence[ProductId]) -> bool:
        """Whether the shopper takes the offer up this time: a draw at :meth:`probability`."""
        return self._rng.random() < self.probability(shopper, offer)


def logistic(x: float) -> float:
    """The logistic function, 1 / (1 + e^-x), without overflow for large |x|."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)
