"""What the demo storefront (``shopstream.web``) reads: the catalogue by category, products,
and the keys its pages carry.

The storefront stands for a retailer's own site, which would read its own catalogue; here
it reads Shopstream's. It is served only with ``demo`` on, since its pages embed a write key
and a server key (see ``shopstream.web``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request

from shopstream.api.auth import KeyRing, Scope
from shopstream.catalog import ONLINE, Product, parse_category
from shopstream.core import ProductId
from shopstream.engine import Engine


@dataclass(frozen=True, slots=True)
class Department:
    name: str
    path: str
    count: int
    children: list[Department]


def demo_enabled(request: Request) -> bool:
    return bool(getattr(request.app.state, "demo", False))


def engine_of(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def departments(engine: Engine) -> list[Department]:
    """Top-level categories and their subcategories, with product counts, by name."""
    counts: dict[tuple[str, ...], int] = {}
    for product in engine.catalog.products():
        for depth in (1, 2):
            if len(product.category) >= depth:
                key = product.category[:depth]
                counts[key] = counts.get(key, 0) + 1
    tops = sorted(key for key in counts if len(key) == 1)
    return [
        Department(
            top[0],
            "/".join(top),
            counts[top],
            [
                Department(key[1], "/".join(key), counts[key], [])
                for key in sorted(k for k in counts if len(k) == 2 and k[0] == top[0])
            ],
        )
        for top in tops
    ]


def tile(text: str) -> int:
    """Which of the 12 tile colours a category gets: FNV-1a over UTF-16 code units, as the
    widget's script computes it, so a product has one colour everywhere.

    Examples:
        >>> tile("Home > Kitchen > Kettles")
        2
    """
    h = 0x811C9DC5
    data = text.encode("utf-16-le")
    for i in range(0, len(data), 2):
        h = ((h ^ int.from_bytes(data[i : i + 2], "little")) * 0x01000193) & 0xFFFFFFFF
    return h % 12


def card(engine: Engine, product: Product) -> dict[str, Any]:
    """A product as the shop shows it in a list."""
    return {
        "id": product.id,
        "name": product.name,
        "brand": product.brand,
        "price": product.price,
        "category": list(product.category),
        "category_label": " > ".join(product.category),
        "tile": tile(" > ".join(product.category) or product.id),
        "in_stock": engine.catalog.available(product.id, None) > 0,
    }


def listing(
    engine: Engine, *, category: str | None = None, query: str | None = None, limit: int = 48
) -> list[dict[str, Any]]:
    """Products of a category (at any depth below it), matching a search, or the first ones."""
    if query:
        found = engine.catalog.search(query, limit)
    elif category:
        path = parse_category(category)
        found = [p for p in engine.catalog.products() if p.category[: len(path)] == path]
        found = found[:limit]
    else:
        found = _a_bit_of_everything(engine.catalog.products(), limit)
    return [card(engine, p) for p in found]


def _a_bit_of_everything(products: list[Product], limit: int) -> list[Product]:
    """The front page's pick: the first products of each second-level category, in turn."""
    by_category: dict[tuple[str, ...], list[Product]] = {}
    for product in products:
        by_category.setdefault(product.category[:2], []).append(product)
    picked: list[Product] = []
    for rank in range(limit):
        for shelf in by_category.values():
            if rank < len(shelf) and len(picked) < limit:
                picked.append(shelf[rank])
        if len(picked) >= limit or all(rank >= len(s) for s in by_category.values()):
            break
    return picked


def product_page(engine: Engine, product_id: str) -> dict[str, Any] | None:
    product = engine.catalog.product(ProductId(product_id))
    if product is None:
        return None
    stock = engine.catalog.stock_by_location(product.id)
    stores = [
        {"id": s.id, "name": s.name, "quantity": max(0, stock.get(s.id, 0))}
        for s in engine.catalog.stores()
    ]
    return {
        **card(engine, product),
        "text": product.text,
        "attributes": dict(product.attributes),
        "online": max(0, stock.get(ONLINE, 0)),
        "stores": stores,
    }


def page_keys(request: Request) -> dict[str, str | None]:
    """The write key and server key a demo page carries (never an admin key)."""
    keys: KeyRing = request.app.state.keys
    write = next((k.secret for k in keys.keys if k.scope is Scope.WRITE), None)
    server = next((k.secret for k in keys.keys if k.scope is Scope.SERVER), None)
    return {"writeKey": write, "serverKey": server}
