"""Values of the catalog: products, stores and their zones.

All are frozen and slotted: the catalog swaps whole values on upsert and never mutates one,
so a product handed to a recommender cannot change under it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shopstream.catalog.errors import InvalidCatalogData
from shopstream.core import ProductId, StoreId

ONLINE = StoreId("online")
"""The location of online stock: ``stock(product_id, None)`` reads it."""

CategoryPath = tuple[str, ...]
AttributeValue = str | int | float | bool

_CATEGORY_SEPARATORS = re.compile(r"\s*(?:>|/|\|)\s*")


def parse_category(text: str | Iterable[str] | None) -> CategoryPath:
    """A category path from ``"Home > Kitchen > Kettles"``, ``"Home/Kitchen"`` or a list.

    Examples:
        >>> parse_category("Home > Kitchen > Kettles")
        ('Home', 'Kitchen', 'Kettles')
        >>> parse_category(" Garden| Tools ")
        ('Garden', 'Tools')
    """
    if text is None:
        return ()
    if isinstance(text, str):
        return _parse_category_text(text)
    return tuple(part.strip() for part in text if part and part.strip())


@functools.lru_cache(maxsize=8192)
def _parse_category_text(text: str) -> CategoryPath:
    # Cached: every product event names a category, and a shop has a few thousand at most;
    # products of one category then share one tuple.
    parts = _CATEGORY_SEPARATORS.split(text)
    return tuple(part.strip() for part in parts if part and part.strip())


def category_key(path: CategoryPath) -> str:
    """The one-string form of a category path, used as a key by profiles and trends."""
    return "/".join(path)


@dataclass(frozen=True, slots=True)
class Product:
    """A sellable product.

    ``text`` is what content embeddings read; left empty it is composed from the name, brand
    and category.

    Examples:
        >>> p = Product(ProductId("p1"), "Glass kettle", ("Home", "Kitchen"), brand="Brew")
        >>> p.text
        'Glass kettle. Brew. Home > Kitchen'
    """

    id: ProductId
    name: str
    category: CategoryPath = ()
    brand: str | None = None
    price: float | None = None
    attributes: Mapping[str, AttributeValue] = field(default_factory=dict)
    text: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            msg = "product id must not be empty"
            raise InvalidCatalogData(msg, field="product_id")
        if self.price is not None and not self.price >= 0:
            msg = f"product {self.id!r}: price must be a non-negative number; got {self.price!r}"
            raise InvalidCatalogData(msg, field="price")
        if not self.text:
            parts = [self.name, self.brand or "", " > ".join(self.category)]
            object.__setattr__(self, "text", ". ".join(part for part in parts if part))


@dataclass(frozen=True, slots=True)
class Zone:
    """An area of a store (aisle, department, beacon range) and the categories it holds.

    A zone holding ``("Home", "Kitchen")`` holds every category below it too.
    """

    id: str
    name: str
    categories: tuple[CategoryPath, ...] = ()

    def depth_for(self, category: CategoryPath) -> int:
        """How deep the best category of this zone matches ``category``; 0 for no match."""
        best = 0
        for held in self.categories:
            if held and len(held) > best and category[: len(held)] == held:
                best = len(held)
        return best


@dataclass(frozen=True, slots=True)
class Store:
    """A physical store: where it is, its time zone (IANA name) and its zones."""

    id: StoreId
    name: str
    lat: float
    lon: float
    timezone: str = "UTC"
    zones: tuple[Zone, ...] = ()

    def __post_init__(self) -> None:
        if not self.id or self.id == ONLINE:
            msg = f"store id must be non-empty and not {ONLINE!r}; got {self.id!r}"
            raise InvalidCatalogData(msg, field="store_id")
        if not -90.0 <= self.lat <= 90.0 or not -180.0 <= self.lon <= 180.0:
            msg = f"store {self.id!r}: location must be lat in [-90, 90], lon in [-180, 180]; got ({self.lat}, {self.lon})"
            raise InvalidCatalogData(msg, field="location")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            msg = f"store {self.id!r}: timezone must be an IANA name; got {self.timezone!r}"
            raise InvalidCatalogData(msg, field="timezone") from None
        ids = [zone.id for zone in self.zones]
        if len(ids) != len(set(ids)):
            msg = f"store {self.id!r}: zone ids must be unique; got {ids}"
            raise InvalidCatalogData(msg, field="zones")

    def zone(self, zone_id: str) -> Zone | None:
        return next((zone for zone in self.zones if zone.id == zone_id), None)
