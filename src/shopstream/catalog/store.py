"""The persistence port of the catalog, and its in-memory implementation.

Backends (``storage/``: SQLite, Redis, PostgreSQL) implement :class:`CatalogStore`; the
engine loads a :class:`~shopstream.catalog.Catalog` from it on start and writes back what
the stream changed. The catalog itself stays synchronous and pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from shopstream.catalog.catalog import Catalog
from shopstream.catalog.models import Product, Store
from shopstream.core import ProductId, StoreId


class CatalogStore(Protocol):
    async def get_product(self, product_id: ProductId) -> Product | None: ...

    async def put_products(self, products: Iterable[Product]) -> None: ...

    async def get_store(self, store_id: StoreId) -> Store | None: ...

    async def put_stores(self, stores: Iterable[Store]) -> None: ...

    async def get_stock(self, product_id: ProductId, store_id: StoreId | None) -> int:
        """The exact level (negative means oversold); ``None`` reads online stock."""
        ...

    async def set_stock(self, levels: Iterable[tuple[StoreId, ProductId, int]]) -> None: ...

    async def load(self) -> Catalog:
        """The whole catalog, with the log offset it reflects, for the stream processor."""
        ...

    async def save(self, catalog: Catalog) -> None:
        """Persist a catalog and its ``last_offset`` together, atomically."""
        ...


class MemoryCatalogStore:
    """A :class:`CatalogStore` over one :class:`Catalog` held in memory (tests, embedded)."""

    __slots__ = ("_catalog",)

    def __init__(self, catalog: Catalog | None = None) -> None:
        self._catalog = catalog if catalog is not None else Catalog()

    async def get_product(self, product_id: ProductId) -> Product | None:
        return self._catalog.product(product_id)

    async def put_products(self, products: Iterable[Product]) -> None:
        self._catalog.upsert_products(products)

    async def get_store(self, store_id: StoreId) -> Store | None:
        return self._catalog.store(store_id)

    async def put_stores(self, stores: Iterable[Store]) -> None:
        self._catalog.upsert_stores(stores)

    async def get_stock(self, product_id: ProductId, store_id: StoreId | None) -> int:
        return self._catalog.stock(product_id, store_id)

    async def set_stock(self, levels: Iterable[tuple[StoreId, ProductId, int]]) -> None:
        self._catalog.set_stock(levels)

    async def load(self) -> Catalog:
        return Catalog.from_snapshot(self._catalog.to_snapshot())

    async def save(self, catalog: Catalog) -> None:
        self._catalog = Catalog.from_snapshot(catalog.to_snapshot())
