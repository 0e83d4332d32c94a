"""Stock per (location, product), where a location is a store id or ``"online"``.

Arithmetic is exact: an order for more than is in stock takes the level below zero, which
reads as *oversold* and keeps "last absolute level minus the orders since" checkable after
any replay. Clamping at zero would lose that and make the order of events matter. Callers
that want a sellable number use :meth:`Inventory.available`, which is never negative.
"""

from __future__ import annotations

from collections.abc import Iterator

from shopstream.core import ProductId, StoreId


class Inventory:
    """Stock levels, indexed by product then location.

    Examples:
        >>> inv = Inventory()
        >>> inv.set(ProductId("p1"), StoreId("online"), 2)
        >>> inv.adjust(ProductId("p1"), StoreId("online"), -3)
        >>> inv.quantity(ProductId("p1"), StoreId("online"))
        -1
        >>> inv.available(ProductId("p1"), StoreId("online"))
        0
    """

    __slots__ = ("_levels",)

    def __init__(self) -> None:
        self._levels: dict[ProductId, dict[StoreId, int]] = {}

    def set(self, product_id: ProductId, location: StoreId, quantity: int) -> None:
        self._levels.setdefault(product_id, {})[location] = quantity

    def adjust(self, product_id: ProductId, location: StoreId, delta: int) -> None:
        levels = self._levels.setdefault(product_id, {})
        levels[location] = levels.get(location, 0) + delta

    def quantity(self, product_id: ProductId, location: StoreId) -> int:
        """The exact level; negative means oversold; 0 when never stocked."""
        return self._levels.get(product_id, {}).get(location, 0)

    def available(self, product_id: ProductId, location: StoreId) -> int:
        """What can be sold: the level, never below zero."""
        return max(0, self.quantity(product_id, location))

    def by_location(self, product_id: ProductId) -> dict[StoreId, int]:
        """Every known level of a product, keyed by store id (and ``"online"``)."""
        return dict(self._levels.get(product_id, {}))

    def __iter__(self) -> Iterator[tuple[StoreId, ProductId, int]]:
        for product_id, levels in self._levels.items():
            for location, quantity in levels.items():
                yield location, product_id, quantity

    def __len__(self) -> int:
        return sum(len(levels) for levels in self._levels.values())

    def __bool__(self) -> bool:
        return bool(self._levels)
