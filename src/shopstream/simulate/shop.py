"""The shop as simulated shoppers meet it: stock on the shelves, what their devices
remember between sessions, and how their hidden taste makes their choices.

One :class:`Shop` holds the state of one simulation run and its RNG, shared by the online
sessions (:mod:`~shopstream.simulate.online`) and store walks
(:mod:`~shopstream.simulate.instore`) it plays.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence

from shopstream.catalog import CategoryPath, Product, Store, Zone
from shopstream.core import ProductId, StoreId
from shopstream.events import Channel
from shopstream.simulate.catalogue import Catalogue
from shopstream.simulate.shoppers import Shopper, ShopperId
from shopstream.simulate.visit import product_properties

EXPLORE = 0.15
"""The share of category picks that ignore taste."""


class Memory:
    """What a shopper's devices remember between sessions."""

    __slots__ = ("answered_banner", "signed_in", "wishlist")

    def __init__(self) -> None:
        self.signed_in: set[Channel] = set()
        self.answered_banner = False
        self.wishlist: list[ProductId] = []


class Shop:
    """Stock, shoppers' memories, order numbers and taste-driven choices for one run.

    Args:
        catalogue: products, stores and the opening stock.
        seed: the RNG every choice of the run draws from.
    """

    def __init__(self, catalogue: Catalogue, *, seed: int | None = None) -> None:
        self.catalogue = catalogue
        self.rng = random.Random(seed)
        self._run = f"{self.rng.getrandbits(16):04x}"
        self._orders = 0
        self._receipts = 0
        self._memory: dict[ShopperId, Memory] = {}
        self._opening: dict[tuple[StoreId, ProductId], int] = {
            (location, product_id): quantity for location, product_id, quantity in catalogue.stock
        }
        self._stock = dict(self._opening)
        self._zones: dict[tuple[StoreId, str], tuple[Product, ...]] = {}

    # -- stock ----------------------------------------------------------------------------

    def available(self, location: StoreId, product_id: ProductId) -> int:
        """What is left at a store (or ``"online"``); 0 for what it does not carry."""
        return self._stock.get((location, product_id), 0)

    def take(self, location: StoreId, lines: Mapping[ProductId, int]) -> None:
        """Take an order's quantities off the shelves."""
        for product_id, quantity in lines.items():
            self._stock[(location, product_id)] = self.available(location, product_id) - quantity

    def restock(self, location: StoreId) -> list[tuple[ProductId, int]]:
        """Bring a location back to its opening levels; the ``(product, level)`` that moved."""
        moved = []
        for (where, product_id), level in self._opening.items():
            if where == location and self._stock[(where, product_id)] != level:
                self._stock[(where, product_id)] = level
                moved.append((product_id, level))
        return moved

    def zone_products(self, store: Store, zone: Zone) -> tuple[Product, ...]:
        """The products a store carries in one of its zones."""
        key = (store.id, zone.id)
        if key not in self._zones:
            self._zones[key] = tuple(
                p
                for p in self.catalogue.products
                if zone.depth_for(p.category) and (store.id, p.id) in self._stock
            )
        return self._zones[key]

    # -- memory and numbering -------------------------------------------------------------

    def remember(self, shopper: Shopper) -> Memory:
        memory = self._memory.get(shopper.id)
        if memory is None:
            memory = self._memory[shopper.id] = Memory()
        return memory

    def next_order_id(self) -> str:
        """An online order number, unique within the run and unlikely to meet another's."""
        self._orders += 1
        return f"W{self._run}-{self._orders:07d}"

    def next_receipt(self, store_id: StoreId) -> str:
        """A till receipt number, which is also the sale's order id."""
        self._receipts += 1
        return f"{store_id}-{self._run}-{self._receipts:07d}"

    # -- choices --------------------------------------------------------------------------

    def category(self, shopper: Shopper) -> CategoryPath:
        """A category by the shopper's taste, or now and then any category."""
        if self.rng.random() < EXPLORE:
            return self.rng.choice(self.catalogue.categories)
        shares = shopper.taste.categories
        known = [path for path in shares if self.catalogue.in_category(path)]
        if not known:
            return self.rng.choice(self.catalogue.categories)
        return self.rng.choices(known, weights=[shares[path] for path in known])[0]

    def choose(self, shopper: Shopper, products: Sequence[Product]) -> Product:
        """One of ``products``, by a softmax of the shopper's affinity."""
        affinities = [self.affinity(shopper, p) for p in products]
        top = max(affinities)
        return self.rng.choices(products, weights=[math.exp(a - top) for a in affinities])[0]

    def affinity(self, shopper: Shopper, product: Product) -> float:
        return shopper.taste.affinity(product, self.catalogue.reference_price(product.category))

    def lines(self, cart: Mapping[ProductId, int]) -> list[dict[str, object]]:
        """Cart or basket lines as the e-commerce spec's ``products``."""
        return [
            {**product_properties(self.catalogue.product(pid)), "quantity": quantity}
            for pid, quantity in cart.items()
        ]

    def subtotal(self, cart: Mapping[ProductId, int]) -> float:
        """The value of cart or basket lines at their prices."""
        total = sum((self.catalogue.product(pid).price or 0.0) * q for pid, q in cart.items())
        return round(total, 2)
