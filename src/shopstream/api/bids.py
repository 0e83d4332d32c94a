"""``POST /v1/bid``: an ad bid multiplier with its reasons (server key)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import Field

from shopstream.api.admin import require
from shopstream.api.auth import Scope
from shopstream.api.errors import ProblemError
from shopstream.api.responses import JSON
from shopstream.api.shoppers import CustomerRef, Wire, shopper_of
from shopstream.decide import BidRequest, segments_in
from shopstream.engine import Engine

router = APIRouter(prefix="/v1", tags=["decide"])

_Name = Field(min_length=1, max_length=256)
_MAX_SEGMENTS = 32


class BidIn(Wire):
    campaign: str = _Name
    category: str | None = Field(default=None, min_length=1, max_length=512)
    region: str | None = Field(default=None, min_length=1, max_length=256)
    segment: str | list[str] | None = None
    customer: CustomerRef | None = None


@router.post("/bid")
async def bid(request: Request, body: BidIn) -> JSON:
    """The multiplier for a bid on ``campaign``'s ad in ``category`` and ``region``, from the
    segments of ``segment`` and of the customer, the category's trend and the signals there."""
    require(request, Scope.SERVER)
    engine: Engine = request.app.state.engine
    customer_id = None
    if body.customer is not None:
        customer_id = shopper_of(engine, body.customer, "bid.customer")
    named = [body.segment] if isinstance(body.segment, str) else body.segment or []
    if len(named) > _MAX_SEGMENTS:
        msg = f"segment names at most {_MAX_SEGMENTS} segments; got {len(named)}"
        raise ProblemError(400, "bid.segment", msg, field="segment")
    for i, name in enumerate(named):
        if not 1 <= len(name) <= 256:
            where = "segment" if isinstance(body.segment, str) else f"segment[{i}]"
            msg = f"{where} must be 1 to 256 characters; got {len(name)}"
            raise ProblemError(400, "bid.segment", msg, field=where)
    answer = engine.bid(BidRequest(
        campaign=body.campaign, category=body.category, region=body.region,
        segments=segments_in(named), customer_id=customer_id,
    ))  # fmt: skip
    return JSON({
        "campaign": body.campaign,
        "multiplier": round(answer.multiplier, 6),
        "reasons": [
            {"kind": r.kind, "key": r.key, "multiplier": r.multiplier, "detail": r.detail}
            for r in answer.reasons
        ],
    })  # fmt: skip
