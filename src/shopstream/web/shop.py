"""The demo storefront: departments, product lists, product pages and the cart.

Served only in demo mode (see :mod:`shopstream.web`); otherwise every page is a 404. The
pages track with ``shopstream.js`` and ask ``POST /v1/recommendations`` for the widget.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from shopstream.api.shop import (
    demo_enabled,
    departments,
    engine_of,
    listing,
    page_keys,
    product_page,
)
from shopstream.web.rendering import render

router = APIRouter(prefix="/shop", include_in_schema=False)


def _closed(request: Request) -> Response | None:
    if demo_enabled(request):
        return None
    message = "The demo storefront is served only when Shopstream runs in demo mode."
    return render(request, "error.html", {"title": "Not found", "message": message}, status=404)


def _config(request: Request, page: str, **extra: object) -> dict[str, object]:
    engine = engine_of(request)
    stores = [{"id": s.id, "name": s.name} for s in engine.catalog.stores()]
    return {"page": page, **page_keys(request), "stores": stores, **extra}


@router.get("")
async def home(
    request: Request,
    category: str | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The shop's front page, a department's products, or search results."""
    if (closed := _closed(request)) is not None:
        return closed
    engine = engine_of(request)
    query = q.strip() if q else None
    products = listing(
        engine, category=category, query=query, limit=48 if category or query else 20
    )
    page = "search" if query else ("category" if category else "home")
    title = f"Results for “{query}”" if query else (category or "").replace("/", " › ")
    return render(
        request,
        "shop/home.html",
        {
            "departments": departments(engine),
            "products": products,
            "category": category,
            "query": query,
            "title": title,
            "config": _config(
                request,
                page,
                category=category,
                query=query,
                productIds=[p["id"] for p in products],
            ),
        },
    )


@router.get("/products/{product_id}")
async def product(request: Request, product_id: str) -> Response:
    if (closed := _closed(request)) is not None:
        return closed
    engine = engine_of(request)
    found = product_page(engine, product_id)
    if found is None:
        message = f"There is no product {product_id!r}."
        return render(request, "error.html", {"title": "Not found", "message": message}, status=404)
    return render(
        request,
        "shop/product.html",
        {
            "departments": departments(engine),
            "product": found,
            "config": _config(request, "product", product=found),
        },
    )


@router.get("/cart")
async def cart(request: Request) -> Response:
    if (closed := _closed(request)) is not None:
        return closed
    engine = engine_of(request)
    return render(
        request,
        "shop/cart.html",
        {"departments": departments(engine), "config": _config(request, "cart")},
    )
