"""Errors of the catalog."""

from __future__ import annotations

from shopstream.core import ShopstreamError


class CatalogError(ShopstreamError):
    code = "catalog.error"


class InvalidCatalogData(CatalogError, ValueError):
    """A product, store or import row is malformed; ``field`` names it (``row[3].price``)."""

    code = "catalog.invalid"


class UnknownProduct(CatalogError, LookupError):
    code = "catalog.unknown-product"


class UnknownStore(CatalogError, LookupError):
    code = "catalog.unknown-store"
