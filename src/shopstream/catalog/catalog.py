"""The in-memory catalog: products, stores and zones, stock levels, and the events that move them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, TextIO

from shopstream.catalog.errors import InvalidCatalogData, UnknownProduct, UnknownStore
from shopstream.catalog.imports import parse_inventory_csv, parse_products_csv
from shopstream.catalog.inventory import Inventory
from shopstream.catalog.models import (
    ONLINE,
    CategoryPath,
    Product,
    Store,
    Zone,
    parse_category,
)
from shopstream.catalog.search import TokenIndex
from shopstream.core import ProductId, StoreId
from shopstream.events import EventName, Message

SNAPSHOT_VERSION = 1

_PRODUCT_EVENTS = frozenset(
    {
        EventName.PRODUCT_VIEWED,
        EventName.PRODUCT_CLICKED,
        EventName.PRODUCT_ADDED,
        EventName.PRODUCT_REMOVED,
        EventName.PRODUCT_ADDED_TO_WISHLIST,
        EventName.PRODUCT_REMOVED_FROM_WISHLIST,
        EventName.WISHLIST_PRODUCT_ADDED_TO_CART,
        EventName.PRODUCT_SHARED,
        EventName.PRODUCT_REVIEWED,
    }
)
_PRODUCT_LIST_EVENTS = frozenset(
    {EventName.CART_VIEWED, EventName.CHECKOUT_STARTED, EventName.ORDER_COMPLETED}
)


class Catalog:
    """Products, stores and stock, kept current by the event stream.

    Stream rules:

    - ``Inventory Updated`` sets the absolute level at ``store_id`` (or online).
    - ``Order Completed`` takes each line's ``quantity`` (default 1) off the level at the
      order's ``store_id``, or online when it has none. Levels may go negative (oversold);
      see :mod:`shopstream.catalog.inventory`. Refunds and cancellations do not restock:
      the store's next ``Inventory Updated`` says what is sellable again.
    - A product event naming a product the catalog does not know, with at least a name,
      category or brand, adds it (the catalogue is learned from the stream). Known
      products are never overwritten by events: imports and upserts are the source of truth.

    Applying an offset at or below :attr:`last_offset` does nothing, so a replay is harmless.

    Examples:
        >>> catalog = Catalog()
        >>> catalog.upsert_products([Product(ProductId("p1"), "Glass kettle", ("Home",))])
        >>> [p.id for p in catalog.search("kettle")]
        ['p1']
    """

    __slots__ = ("_index", "_inventory", "_products", "_stores", "last_offset")

    def __init__(self) -> None:
        self._products: dict[ProductId, Product] = {}
        self._stores: dict[StoreId, Store] = {}
        self._inventory = Inventory()
        self._index = TokenIndex()
        self.last_offset: int | None = None

    # -- writes ---------------------------------------------------------------------------

    def upsert_products(self, products: Iterable[Product]) -> None:
        for product in products:
            self._products[product.id] = product
            self._index.add(product)

    def upsert_stores(self, stores: Iterable[Store]) -> None:
        for store in stores:
            self._stores[store.id] = store

    def set_stock(self, levels: Iterable[tuple[StoreId, ProductId, int]]) -> None:
        """Set absolute levels, ``(location, product_id, quantity)``; location may be online."""
        for location, product_id, quantity in levels:
            self._inventory.set(product_id, location, quantity)

    def import_products_csv(self, source: str | TextIO) -> int:
        """Upsert the products of a CSV (see :mod:`shopstream.catalog.imports`).

        Nothing is imported if any row fails.

        Returns:
            How many products were upserted.

        Raises:
            InvalidCatalogData: naming the row and column that failed.
        """
        products = parse_products_csv(source)
        self.upsert_products(products)
        return len(products)

    def import_inventory_csv(self, source: str | TextIO) -> int:
        """Set the stock levels of a CSV; all or nothing, like :meth:`import_products_csv`."""
        levels = parse_inventory_csv(source)
        self.set_stock(levels)
        return len(levels)

    def apply(self, message: Message, *, offset: int, now: datetime) -> bool:
        """Apply one logged event.

        Args:
            message: the normalised event.
            offset: its log offset; at or below :attr:`last_offset` the call is a no-op.
            now: processing time. The catalog's state is a function of the log alone, so
                it does not read it; it is taken for the processors' common signature.

        Returns:
            False when the offset was already applied.
        """
        if self.last_offset is not None and offset <= self.last_offset:
            return False
        self.last_offset = offset
        if message.type != "track":
            return True
        props = message.properties
        event = message.event
        if event in _PRODUCT_EVENTS:  # the most frequent events first
            self._learn(props)
            return True
        if event == EventName.INVENTORY_UPDATED:
            location = StoreId(props.get("store_id") or ONLINE)
            self._inventory.set(ProductId(props["product_id"]), location, props["quantity"])
            return True
        if event not in _PRODUCT_LIST_EVENTS:
            return True
        lines: list[dict[str, Any]] = props.get("products") or []
        for line in lines:
            self._learn(line)
        if event == EventName.ORDER_COMPLETED:
            location = StoreId(props.get("store_id") or ONLINE)
            adjust = self._inventory.adjust
            for line in lines:
                quantity = line.get("quantity")
                adjust(line["product_id"], location, -(1 if quantity is None else quantity))
        return True

    def _learn(self, line: Mapping[str, Any]) -> None:
        product_id: ProductId = line["product_id"]
        if product_id in self._products:
            return
        name, category, brand = line.get("name"), line.get("category"), line.get("brand")
        if not (name or category or brand):
            return
        price = line.get("price")
        self.upsert_products(
            [
                Product(
                    id=product_id,
                    name=name or product_id,
                    category=parse_category(category),
                    brand=brand or None,
                    price=price if price is not None and price >= 0 else None,
                )
            ]
        )

    # -- reads ----------------------------------------------------------------------------

    def product(self, product_id: ProductId) -> Product | None:
        return self._products.get(product_id)

    def require(self, product_id: ProductId) -> Product:
        """The product, or :class:`UnknownProduct` (which the API maps to a 404)."""
        product = self._products.get(product_id)
        if product is None:
            msg = f"no product with id {product_id!r}"
            raise UnknownProduct(msg, field="product_id")
        return product

    def products(self) -> list[Product]:
        return list(self._products.values())

    def search(self, text: str, limit: int = 10) -> list[Product]:
        """Products whose name, brand or category share the most words with ``text``."""
        hits = self._index.search(text)[: max(0, limit)]
        return [self._products[product_id] for product_id, _ in hits]

    def stock(self, product_id: ProductId, store_id: StoreId | None = None) -> int:
        """The exact level at a store, or online for ``None``; negative means oversold."""
        return self._inventory.quantity(product_id, store_id or ONLINE)

    def available(self, product_id: ProductId, store_id: StoreId | None = None) -> int:
        """What can be sold at a store (or online): :meth:`stock`, never below zero."""
        return self._inventory.available(product_id, store_id or ONLINE)

    def has_stock(self) -> bool:
        """Whether any stock level is known at all (a catalogue can come without inventory)."""
        return bool(self._inventory)

    def stock_by_location(self, product_id: ProductId) -> dict[StoreId, int]:
        """Exact levels of a product everywhere it is stocked (``"online"`` included)."""
        return self._inventory.by_location(product_id)

    def store(self, store_id: StoreId) -> Store | None:
        return self._stores.get(store_id)

    def stores(self) -> list[Store]:
        return list(self._stores.values())

    def zone_for(self, store_id: StoreId, category: CategoryPath | str) -> Zone | None:
        """The zone of a store holding ``category``: the one whose category matches deepest.

        Raises:
            UnknownStore: the store is not in the catalog.
        """
        store = self._stores.get(store_id)
        if store is None:
            msg = f"no store with id {store_id!r}"
            raise UnknownStore(msg, field="store_id")
        path = parse_category(category)
        best, depth = None, 0
        for zone in store.zones:
            zone_depth = zone.depth_for(path)
            if zone_depth > depth:
                best, depth = zone, zone_depth
        return best

    def __len__(self) -> int:
        return len(self._products)

    # -- snapshots ------------------------------------------------------------------------

    def to_snapshot(self) -> dict[str, Any]:
        """A JSON-serialisable copy of the whole catalog and the offset it reflects."""
        return {
            "version": SNAPSHOT_VERSION,
            "last_offset": self.last_offset,
            "products": [product_to_dict(p) for p in self._products.values()],
            "stores": [store_to_dict(s) for s in self._stores.values()],
            "inventory": [list(level) for level in self._inventory],
        }

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any]) -> Catalog:
        """Rebuild a catalog from :meth:`to_snapshot`'s output.

        Raises:
            InvalidCatalogData: the snapshot is of another version or malformed.
        """
        if data.get("version") != SNAPSHOT_VERSION:
            msg = (
                f"catalog snapshot version must be {SNAPSHOT_VERSION}; got {data.get('version')!r}"
            )
            raise InvalidCatalogData(msg, field="version")
        catalog = cls()
        try:
            catalog.upsert_products(product_from_dict(p) for p in data["products"])
            catalog.upsert_stores(store_from_dict(s) for s in data["stores"])
            catalog.set_stock(
                (StoreId(loc), ProductId(pid), int(q)) for loc, pid, q in data["inventory"]
            )
        except InvalidCatalogData:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            msg = f"catalog snapshot is malformed: {exc!r}"
            raise InvalidCatalogData(msg, field="snapshot") from None
        catalog.last_offset = data.get("last_offset")
        return catalog


def product_to_dict(product: Product) -> dict[str, Any]:
    return {
        "id": product.id,
        "name": product.name,
        "category": list(product.category),
        "brand": product.brand,
        "price": product.price,
        "attributes": dict(product.attributes),
        "text": product.text,
    }


def product_from_dict(data: Mapping[str, Any]) -> Product:
    return Product(
        id=ProductId(data["id"]),
        name=data["name"],
        category=tuple(data["category"]),
        brand=data["brand"],
        price=data["price"],
        attributes=dict(data["attributes"]),
        text=data["text"],
    )


def store_to_dict(store: Store) -> dict[str, Any]:
    return {
        "id": store.id,
        "name": store.name,
        "lat": store.lat,
        "lon": store.lon,
        "timezone": store.timezone,
        "zones": [
            {"id": z.id, "name": z.name, "categories": [list(c) for c in z.categories]}
            for z in store.zones
        ],
    }


def store_from_dict(data: Mapping[str, Any]) -> Store:
    return Store(
        id=StoreId(data["id"]),
        name=data["name"],
        lat=data["lat"],
        lon=data["lon"],
        timezone=data["timezone"],
        zones=tuple(
            Zone(z["id"], z["name"], tuple(tuple(c) for c in z["categories"]))
            for z in data["zones"]
        ),
    )
