"""A generated catalogue: the products, stores and opening stock of a general retailer.

:func:`generate_catalogue` draws products over the category tree of
:mod:`~shopstream.simulate.assortment` (names like ``Glass kettle 1.7 L``, brands, lognormal
prices per line around the brand's tier, colour and size), opens stores on the first sites
of :mod:`~shopstream.simulate.stores`, and stocks every product online and most products in
each store that has a zone for it. The values are the catalog's own (``Product``,
``Store``) and stock levels are ``(location, product_id, quantity)`` as
``Catalog.set_stock`` takes them, so a simulation's catalogue loads as it is.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from shopstream.catalog import ONLINE, CategoryPath, Product, Store
from shopstream.core import ProductId, StoreId
from shopstream.simulate.assortment import DEPARTMENTS, Brand, Line
from shopstream.simulate.stores import SITES, StoreFormat, build_store

StockLevel = tuple[StoreId, ProductId, int]
"""``(location, product_id, quantity)``; the location is a store id or ``"online"``."""

_CARRIED = {StoreFormat.FLAGSHIP: 0.9, StoreFormat.STANDARD: 0.7, StoreFormat.COMPACT: 0.55}


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Products, stores and opening stock, with the look-ups a simulation needs.

    Examples:
        >>> catalogue = generate_catalogue(seed=7, products=300, stores=3)
        >>> len(catalogue.products), [s.id for s in catalogue.stores]
        (300, ['s-nyc', 's-chi', 's-lax'])
        >>> kettle = catalogue.in_category(("Home", "Kitchen", "Kettles"))[0]
        >>> kettle.name, kettle.brand, kettle.price
        ('Stainless steel kettle 1.0 L', 'Oakmoor', 19.49)
    """

    products: tuple[Product, ...]
    stores: tuple[Store, ...]
    stock: tuple[StockLevel, ...] = ()
    currency: str = "USD"
    _by_id: Mapping[ProductId, Product] = field(init=False, repr=False, compare=False)
    _by_category: Mapping[CategoryPath, tuple[Product, ...]] = field(
        init=False, repr=False, compare=False
    )
    _reference: Mapping[CategoryPath, float] = field(init=False, repr=False, compare=False)
    _stores: Mapping[StoreId, Store] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.products:
            msg = "a catalogue needs at least one product; got none"
            raise ValueError(msg)
        by_category: dict[CategoryPath, list[Product]] = {}
        for product in self.products:
            by_category.setdefault(product.category, []).append(product)
        reference = {
            path: statistics.median([p.price for p in items if p.price] or [1.0])
            for path, items in by_category.items()
        }
        object.__setattr__(self, "_by_id", {p.id: p for p in self.products})
        object.__setattr__(self, "_by_category", {k: tuple(v) for k, v in by_category.items()})
        object.__setattr__(self, "_reference", reference)
        object.__setattr__(self, "_stores", {s.id: s for s in self.stores})

    @property
    def categories(self) -> tuple[CategoryPath, ...]:
        """The categories products are filed under, in catalogue order."""
        return tuple(self._by_category)

    def product(self, product_id: ProductId) -> Product:
        """The product; ``KeyError`` names an id the catalogue does not hold."""
        return self._by_id[product_id]

    def in_category(self, category: CategoryPath) -> tuple[Product, ...]:
        """The products filed under exactly ``category``."""
        return self._by_category.get(category, ())

    def reference_price(self, category: CategoryPath) -> float:
        """The median price of a category: what a shopper weighs a price against."""
        return self._reference.get(category, 1.0)

    def store(self, store_id: StoreId) -> Store:
        """The store; ``KeyError`` names an id the catalogue does not hold."""
        return self._stores[store_id]


def generate_catalogue(
    seed: int | None = None, *, products: int = 600, stores: int = 4
) -> Catalogue:
    """Draw a general retailer's catalogue.

    Args:
        seed: the same seed gives the same catalogue.
        products: how many products, spread over the product lines by their popularity
            (every line gets at least two).
        stores: how many stores, from 1 to the number of :data:`SITES`.

    Raises:
        ValueError: ``products`` or ``stores`` is out of range.
    """
    lines = [(line, dept.brands) for dept in DEPARTMENTS for line in dept.lines]
    if products < 2 * len(lines):
        msg = f"products must be at least {2 * len(lines)} (two per line); got {products}"
        raise ValueError(msg)
    if not 1 <= stores <= len(SITES):
        msg = f"stores must be in [1, {len(SITES)}]; got {stores}"
        raise ValueError(msg)
    rng = random.Random(seed)
    counts = _allocate(products, [line.popularity for line, _ in lines])
    drawn: list[Product] = []
    for (line, brands), count in zip(lines, counts, strict=True):
        for _ in range(count):
            drawn.append(_product(rng, ProductId(f"p{len(drawn) + 1:05d}"), line, brands))
    leaves = [line.path for line, _ in lines]
    opened = [build_store(site, leaves) for site in SITES[:stores]]
    levels: list[StockLevel] = [(ONLINE, p.id, _online_stock(rng)) for p in drawn]
    for site, store in zip(SITES, opened, strict=False):
        carried = _CARRIED[site.format]
        for product in drawn:
            held = any(zone.depth_for(product.category) for zone in store.zones)
            if held and rng.random() < carried:
                levels.append((store.id, product.id, _store_stock(rng, product.price or 1.0)))
    return Catalogue(products=tuple(drawn), stores=tuple(opened), stock=tuple(levels))


def _allocate(total: int, weights: Sequence[float]) -> list[int]:
    """Two each, then the rest by largest remainder in proportion to ``weights``."""
    spare = total - 2 * len(weights)
    shares = [spare * w / sum(weights) for w in weights]
    counts = [2 + math.floor(s) for s in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: (math.floor(shares[i]) - shares[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _product(
    rng: random.Random, product_id: ProductId, line: Line, brands: Sequence[Brand]
) -> Product:
    noun, qualifier, brand = rng.choice(line.nouns), rng.choice(line.qualifiers), rng.choice(brands)
    colour = rng.choice(line.colours) if line.colours else None
    size = rng.choice(line.sizes) if line.sizes else None
    name = f"{qualifier} {noun}" + (f" {size}" if size and line.size_in_name else "")
    price = _price_point(
        line.median_price * brand.tier * rng.lognormvariate(0.0, line.price_spread)
    )
    attributes: dict[str, str] = {}
    if colour:
        attributes["colour"] = colour
    if size:
        attributes["size"] = size
    shade = f", in {colour.lower()}" if colour else ""
    text = f"{name} by {brand.name}{shade}. {line.blurb} {' > '.join(line.path)}."
    return Product(
        id=product_id,
        name=name,
        category=line.path,
        brand=brand.name,
        price=price,
        attributes=attributes,
        text=text,
    )


def _price_point(price: float) -> float:
    """Round to a shelf price: 4.49, 12.99, 149.99, 899.99."""
    if price < 20:
        return max(0.99, round(round(price * 2) / 2 - 0.01, 2))
    if price < 200:
        return round(round(price) - 0.01, 2)
    return round(round(price / 10) * 10 - 0.01, 2)


def _online_stock(rng: random.Random) -> int:
    if rng.random() < 0.03:
        return 0
    return round(rng.lognormvariate(math.log(60), 0.6))


def _store_stock(rng: random.Random, price: float) -> int:
    if rng.random() < 0.05:
        return 0
    return 1 + round(rng.expovariate(1.0 / (8.0 if price < 100 else 2.0)))
