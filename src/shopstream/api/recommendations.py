"""``POST /v1/recommendations``: ranked products for a shopper and placement (server key)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import Field

from shopstream.api.admin import require
from shopstream.api.auth import Scope
from shopstream.api.responses import JSON
from shopstream.api.shoppers import CustomerRef, Wire, shopper_of
from shopstream.core import ProductId, StoreId
from shopstream.engine import Engine
from shopstream.recommend import Placement, RecommendRequest

router = APIRouter(prefix="/v1", tags=["decide"])


class RecommendContext(Wire):
    productId: str | None = Field(default=None, min_length=1)
    storeId: str | None = Field(default=None, min_length=1)
    zoneId: str | None = None


class RecommendIn(Wire):
    customer: CustomerRef
    placement: Placement
    channel: Literal["web", "app", "store", "pos", "email", "sms", "push", "ads", "server"] = "web"
    context: RecommendContext = Field(default_factory=RecommendContext)
    limit: int = Field(default=10, ge=1, le=50)


@router.post("/recommendations")
async def recommendations(request: Request, body: RecommendIn) -> JSON:
    """The ``limit`` best products, each with its reason and whether it is in stock."""
    require(request, Scope.SERVER)
    engine: Engine = request.app.state.engine
    customer_id = shopper_of(engine, body.customer, "recommend.customer")
    context = body.context
    decision_id, items = engine.recommend(
        customer_id,
        RecommendRequest(
            placement=body.placement,
            limit=body.limit,
            product_id=ProductId(context.productId) if context.productId else None,
            store_id=StoreId(context.storeId) if context.storeId else None,
        ),
        channel=body.channel,
    )
    return JSON({
        "decisionId": decision_id,
        "customerId": customer_id,
        "placement": body.placement.value,
        "items": [
            {"productId": i.product_id, "score": i.score, "reason": i.reason,
             "inStock": i.in_stock, "storeId": i.store_id, "zoneId": i.zone_id}
            for i in items
        ],
    })  # fmt: skip
