"""Wish lists watched for a product coming back in stock or dropping in price.

The profile keeps each shopper's wish list; this keeps the reverse (product -> shoppers) for
the products anyone wishes for, and the stock and price last seen for each, so a change can
be recognised as a transition (out of stock -> in stock; price down by a share).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shopstream.core import CustomerId, ProductId


class Watchlist:
    def __init__(self) -> None:
        self.wishers: dict[ProductId, set[CustomerId]] = {}
        self.wishes: dict[CustomerId, tuple[ProductId, ...]] = {}
        self.stock: dict[ProductId, int] = {}
        self.price: dict[ProductId, float] = {}

    def update(
        self,
        customer_id: CustomerId,
        wishlist: list[ProductId] | None,
        stock: Mapping[ProductId, int],
        price: Mapping[ProductId, float | None],
    ) -> None:
        """Bring the customer's wishes up to date; a newly watched product's current stock
        and price (``stock`` and ``price`` of it) become the baseline."""
        now = tuple(wishlist or ())
        before = self.wishes.get(customer_id, ())
        if now == before:
            return
        for product in set(before) - set(now):
            wishers = self.wishers.get(product)
            if wishers is not None:
                wishers.discard(customer_id)
                if not wishers:
                    del self.wishers[product]
                    self.stock.pop(product, None)
                    self.price.pop(product, None)
        for product in set(now) - set(before):
            if product not in self.wishers:
                self.wishers[product] = set()
                self.stock[product] = stock.get(product, 0)
                known = price.get(product)
                if known is not None:
                    self.price[product] = known
            self.wishers[product].add(customer_id)
        if now:
            self.wishes[customer_id] = now
        else:
            self.wishes.pop(customer_id, None)

    def restocked(self, product: ProductId, quantity: int) -> bool:
        """Record the product's stock; True when it went from none to some."""
        if product not in self.wishers:
            return False
        before = self.stock.get(product, 0)
        self.stock[product] = quantity
        return before <= 0 < quantity

    def repriced(self, product: ProductId, price: float) -> float | None:
        """Record the product's price; the old price when it fell."""
        if product not in self.wishers:
            return None
        before = self.price.get(product)
        self.price[product] = price
        if before is not None and price < before:
            return before
        return None

    def to_snapshot(self) -> dict[str, Any]:
        return {
            "wishes": {c: list(p) for c, p in self.wishes.items()},
            "stock": self.stock,
            "price": self.price,
        }

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any]) -> Watchlist:
        watch = cls()
        for customer, products in data["wishes"].items():
            watch.wishes[CustomerId(customer)] = tuple(ProductId(p) for p in products)
            for product in products:
                watch.wishers.setdefault(ProductId(product), set()).add(CustomerId(customer))
        watch.stock = {ProductId(k): int(v) for k, v in data["stock"].items()}
        watch.price = {ProductId(k): float(v) for k, v in data["price"].items()}
        return watch
