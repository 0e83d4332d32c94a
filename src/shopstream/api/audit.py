"""The audit log of profile views, for operators (admin key)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from shopstream.api.admin import require
from shopstream.api.auth import Scope
from shopstream.api.responses import JSON
from shopstream.core import CustomerId, StoreId
from shopstream.engine import Engine

router = APIRouter(prefix="/v1", tags=["admin"])
_MAX_ID = 2**63 - 1


@router.get("/audit")
async def audit(
    request: Request,
    after: Annotated[int, Query(ge=0, le=_MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    customer_id: Annotated[str | None, Query(alias="customerId")] = None,
    actor: str | None = None,
    store_id: Annotated[str | None, Query(alias="storeId")] = None,
) -> JSON:
    """Who viewed which customer's profile, where and when, oldest first."""
    require(request, Scope.ADMIN)
    engine: Engine = request.app.state.engine
    entries = await engine.audit.read(
        after,
        limit,
        customer_id=CustomerId(customer_id) if customer_id else None,
        actor=actor,
        store_id=StoreId(store_id) if store_id else None,
    )
    items = [
        {
            "id": e.id,
            "at": e.at,
            "actor": e.actor,
            "role": e.role,
            "storeId": e.store_id,
            "customerId": e.customer_id,
            "action": e.action,
        }
        for e in entries
    ]
    return JSON({"entries": items, "next": entries[-1].id if entries else after})
