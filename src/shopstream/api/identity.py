"""Operator actions on the identity graph (admin key)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from shopstream.api.admin import require
from shopstream.api.auth import Scope
from shopstream.api.responses import JSON
from shopstream.engine import Engine

router = APIRouter(prefix="/v1/identity", tags=["identity"])


@router.post("/merges/{merge_id}/undo")
async def unmerge(request: Request, merge_id: str) -> JSON:
    """Undo a wrong merge: the two sides become two customers again, each with the state of
    the events it contributed, and the pair is never merged again."""
    require(request, Scope.ADMIN)
    engine: Engine = request.app.state.engine
    link = engine.graph.merge(merge_id).link
    offset = await engine.unmerge(merge_id)
    sides = dict.fromkeys(c for c in map(engine.graph.customer_of, link) if c is not None)
    customers = [
        {"customerId": cid,
         "identifiers": [{"type": str(i.type), "value": i.value}
                         for i in engine.graph.identifiers_of(cid)]}
        for cid in sides
    ]  # fmt: skip
    return JSON({"offset": offset, "undone": merge_id, "customers": customers})
