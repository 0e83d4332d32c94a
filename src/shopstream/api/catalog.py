"""Products, stores and inventory: server keys read, admin keys write.

Writes are logged as operator events before they take effect, so the catalog survives a
crash and a replay reproduces it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from shopstream.api.admin import require
from shopstream.api.auth import Scope
from shopstream.api.body import read_text
from shopstream.api.errors import ProblemError
from shopstream.api.responses import JSON
from shopstream.catalog import (
    ONLINE,
    Product,
    Store,
    Zone,
    parse_category,
    parse_inventory_csv,
    parse_products_csv,
    product_to_dict,
    store_to_dict,
)
from shopstream.core import ProductId, StoreId
from shopstream.engine import Engine

router = APIRouter(prefix="/v1", tags=["catalog"])
_MAX_IMPORT_BYTES = 20 * 1024 * 1024


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, coerce_numbers_to_str=True)


class ProductIn(_Wire):
    id: str = Field(min_length=1, max_length=256)
    name: str = Field(min_length=1)
    category: str | list[str] | None = None
    brand: str | None = None
    price: float | None = Field(default=None, ge=0)
    attributes: dict[str, str | int | float | bool] = Field(default_factory=dict)
    text: str = ""

    def to_product(self) -> Product:
        return Product(
            ProductId(self.id),
            self.name,
            parse_category(self.category),
            self.brand,
            self.price,
            self.attributes,
            self.text,
        )


class ZoneIn(_Wire):
    id: str = Field(min_length=1)
    name: str
    categories: list[str | list[str]] = Field(default_factory=list)


class StoreIn(_Wire):
    id: str = Field(min_length=1)
    name: str
    lat: float
    lon: float
    timezone: str = "UTC"
    zones: list[ZoneIn] = Field(default_factory=list)

    def to_store(self) -> Store:
        zones = tuple(
            Zone(z.id, z.name, tuple(parse_category(c) for c in z.categories)) for z in self.zones
        )
        return Store(StoreId(self.id), self.name, self.lat, self.lon, self.timezone, zones)


class StockIn(_Wire):
    product_id: str = Field(alias="productId", min_length=1)
    store_id: str | None = Field(default=None, alias="storeId")
    quantity: int


class ProductsIn(_Wire):
    products: list[ProductIn] = Field(max_length=10_000)


class StoresIn(_Wire):
    stores: list[StoreIn] = Field(max_length=10_000)


class StockLevelsIn(_Wire):
    levels: list[StockIn] = Field(max_length=100_000)


def _engine(request: Request, scope: Scope) -> Engine:
    require(request, scope)
    engine: Engine = request.app.state.engine
    return engine


def _product_view(engine: Engine, product: Product) -> dict[str, Any]:
    return {**product_to_dict(product),
            "stock": engine.catalog.stock_by_location(product.id)}  # fmt: skip


# -- products --------------------------------------------------------------------------------


@router.get("/products")
async def products(
    request: Request,
    q: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> JSON:
    """Search products by name, brand or category (``q``), or list them."""
    engine = _engine(request, Scope.SERVER)
    found = engine.catalog.search(q, limit) if q else engine.catalog.products()[:limit]
    return JSON({"products": [_product_view(engine, p) for p in found]})


@router.get("/products/{product_id}")
async def product(request: Request, product_id: str) -> JSON:
    engine = _engine(request, Scope.SERVER)
    return JSON(_product_view(engine, engine.catalog.require(ProductId(product_id))))


@router.put("/products")
async def put_products(request: Request, body: ProductsIn) -> JSON:
    """Create or replace products."""
    engine = _engine(request, Scope.ADMIN)
    offset = await engine.upsert_products([p.to_product() for p in body.products])
    return JSON({"upserted": len(body.products), "offset": offset})


@router.post("/products/import")
async def import_products(request: Request) -> JSON:
    """Upsert products from a CSV body (``product_id,name,category,brand,price,...``)."""
    engine = _engine(request, Scope.ADMIN)
    parsed = parse_products_csv(await read_text(request, _MAX_IMPORT_BYTES))
    offset = await engine.upsert_products(parsed)
    return JSON({"upserted": len(parsed), "offset": offset})


# -- stores ------------------------------------------------------------------------------------


@router.get("/stores")
async def stores(request: Request) -> JSON:
    engine = _engine(request, Scope.SERVER)
    return JSON({"stores": [store_to_dict(s) for s in engine.catalog.stores()]})


@router.get("/stores/{store_id}")
async def store(request: Request, store_id: str) -> JSON:
    engine = _engine(request, Scope.SERVER)
    found = engine.catalog.store(StoreId(store_id))
    if found is None:
        raise ProblemError(404, "catalog.unknown-store", f"no store {store_id!r}", field="storeId")
    return JSON(store_to_dict(found))


@router.put("/stores")
async def put_stores(request: Request, body: StoresIn) -> JSON:
    engine = _engine(request, Scope.ADMIN)
    offset = await engine.upsert_stores([s.to_store() for s in body.stores])
    return JSON({"upserted": len(body.stores), "offset": offset})


# -- inventory ---------------------------------------------------------------------------------


@router.get("/inventory/{product_id}")
async def inventory(request: Request, product_id: str) -> JSON:
    """Stock of one product per store and online (negative = oversold)."""
    engine = _engine(request, Scope.SERVER)
    stock = engine.catalog.stock_by_location(ProductId(product_id))
    return JSON({"productId": product_id, "stock": stock})


@router.put("/inventory")
async def put_inventory(request: Request, body: StockLevelsIn) -> JSON:
    """Set absolute stock levels; a level without ``storeId`` is online stock."""
    engine = _engine(request, Scope.ADMIN)
    levels = [
        (StoreId(x.store_id or ONLINE), ProductId(x.product_id), x.quantity) for x in body.levels
    ]
    offset = await engine.set_stock(levels)
    return JSON({"set": len(levels), "offset": offset})


@router.post("/inventory/import")
async def import_inventory(request: Request) -> JSON:
    """Set stock levels from a CSV body (``product_id,store_id,quantity``)."""
    engine = _engine(request, Scope.ADMIN)
    levels = parse_inventory_csv(await read_text(request, _MAX_IMPORT_BYTES))
    offset = await engine.set_stock(levels)
    return JSON({"set": len(levels), "offset": offset})
