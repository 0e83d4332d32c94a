"""Products, stores and zones, and stock per store and online, kept current by the stream.

The :class:`Catalog` is synchronous and in memory; :class:`CatalogStore` is the port that
``storage/`` backends implement to persist it.
"""

from __future__ import annotations

from shopstream.catalog.catalog import (
    Catalog,
    product_from_dict,
    product_to_dict,
    store_from_dict,
    store_to_dict,
)
from shopstream.catalog.errors import CatalogError, InvalidCatalogData, UnknownProduct, UnknownStore
from shopstream.catalog.imports import parse_inventory_csv, parse_products_csv
from shopstream.catalog.models import (
    ONLINE,
    AttributeValue,
    CategoryPath,
    Product,
    Store,
    Zone,
    category_key,
    parse_category,
)
from shopstream.catalog.store import CatalogStore, MemoryCatalogStore

__all__ = (
    "ONLINE",
    "AttributeValue",
    "Catalog",
    "CatalogError",
    "CatalogStore",
    "CategoryPath",
    "InvalidCatalogData",
    "MemoryCatalogStore",
    "Product",
    "Store",
    "UnknownProduct",
    "UnknownStore",
    "Zone",
    "category_key",
    "parse_category",
    "parse_inventory_csv",
    "parse_products_csv",
    "product_from_dict",
    "product_to_dict",
    "store_from_dict",
    "store_to_dict",
)
