"""CSV imports of products and stock levels, with errors that name the row and column.

Rows are numbered as a spreadsheet shows them: the header is row 1.

Products: ``product_id`` and ``name`` are required; ``category`` (``Home > Kitchen``),
``brand``, ``price`` and ``text`` are optional; every other non-empty column becomes an
attribute (numbers stay text: the catalog does not guess types).

Inventory: ``product_id`` and ``quantity`` are required; ``store_id`` empty or ``online``
means online stock.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import TextIO

from shopstream.catalog.errors import InvalidCatalogData
from shopstream.catalog.models import ONLINE, Product, parse_category
from shopstream.core import ProductId, StoreId

_PRODUCT_COLUMNS = frozenset({"product_id", "name", "category", "brand", "price", "text"})


def _rows(source: str | TextIO, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    stream = io.StringIO(source) if isinstance(source, str) else source
    reader = csv.DictReader(stream, restval="")
    header = [name.strip() for name in reader.fieldnames or ()]
    missing = [name for name in required if name not in header]
    if missing:
        msg = f"row 1: missing required column(s) {missing}; got columns {header}"
        raise InvalidCatalogData(msg, field="row[1]")
    reader.fieldnames = header
    row_number = 1
    for raw in reader:
        row_number += 1
        if None in raw:
            msg = f"row {row_number}: has more cells than the header's {len(header)} columns"
            raise InvalidCatalogData(msg, field=f"row[{row_number}]")
        row = {key: (value or "").strip() for key, value in raw.items()}
        if not any(row.values()):
            continue
        for name in required:
            if not row[name]:
                msg = f"row {row_number}, column {name!r}: must not be empty"
                raise InvalidCatalogData(msg, field=f"row[{row_number}].{name}")
        yield row_number, row


def parse_products_csv(source: str | TextIO) -> list[Product]:
    """Products from CSV text or an open text file.

    Raises:
        InvalidCatalogData: naming the row and column that failed.
    """
    products: list[Product] = []
    for number, row in _rows(source, ("product_id", "name")):
        price: float | None = None
        if row.get("price"):
            try:
                price = float(row["price"])
            except ValueError:
                msg = f"row {number}, column 'price': must be a number; got {row['price']!r}"
                raise InvalidCatalogData(msg, field=f"row[{number}].price") from None
        attributes = {k: v for k, v in row.items() if k not in _PRODUCT_COLUMNS and v}
        try:
            product = Product(
                id=ProductId(row["product_id"]),
                name=row["name"],
                category=parse_category(row.get("category")),
                brand=row.get("brand") or None,
                price=price,
                attributes=attributes,
                text=row.get("text", ""),
            )
        except InvalidCatalogData as exc:
            column = exc.field or "product_id"
            msg = f"row {number}, column {column!r}: {exc.message}"
            raise InvalidCatalogData(msg, field=f"row[{number}].{column}") from None
        products.append(product)
    return products


def parse_inventory_csv(source: str | TextIO) -> list[tuple[StoreId, ProductId, int]]:
    """``(location, product_id, quantity)`` rows from CSV text or an open text file.

    Raises:
        InvalidCatalogData: naming the row and column that failed.
    """
    levels: list[tuple[StoreId, ProductId, int]] = []
    for number, row in _rows(source, ("product_id", "quantity")):
        try:
            quantity = int(row["quantity"])
        except ValueError:
            msg = f"row {number}, column 'quantity': must be an integer; got {row['quantity']!r}"
            raise InvalidCatalogData(msg, field=f"row[{number}].quantity") from None
        location = StoreId(row.get("store_id") or ONLINE)
        levels.append((location, ProductId(row["product_id"]), quantity))
    return levels
