"""Live profiles by any identifier, and the customer's events (server key)."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from shopstream.api.admin import require
from shopstream.api.auth import Scope
from shopstream.api.errors import ProblemError
from shopstream.api.responses import JSON, camelize
from shopstream.core import CustomerId, Offset
from shopstream.engine import Engine
from shopstream.events import IdType

router = APIRouter(prefix="/v1/profiles", tags=["profiles"])
ID_TYPES = sorted([*(str(t) for t in IdType), "customerId"])
IdTypePath = Annotated[str, Path(description=f"one of {', '.join(ID_TYPES)}")]


def _customer(request: Request, id_type: str, value: str) -> tuple[Engine, CustomerId]:
    require(request, Scope.SERVER)
    if id_type not in ID_TYPES:
        msg = f"idType must be one of {ID_TYPES}; got {id_type!r}"
        raise ProblemError(400, "profiles.id-type", msg, field="idType")
    engine: Engine = request.app.state.engine
    try:
        return engine, engine.customer(id_type, value)
    except ValueError as exc:  # a phone number that cannot be one
        raise ProblemError(400, "profiles.id", f"id: {exc}", field="id") from None


@router.get("/{id_type}/{value}")
async def profile(request: Request, id_type: IdTypePath, value: str) -> JSON:
    """The live profile of the customer who has this identifier."""
    engine, customer_id = _customer(request, id_type, value)
    return JSON(camelize(engine.profile(customer_id)))


@router.get("/{id_type}/{value}/events")
async def events(
    request: Request,
    id_type: IdTypePath,
    value: str,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    """The customer's events, from every identifier they have had, in log order."""
    engine, customer_id = _customer(request, id_type, value)
    found = await engine.customer_events(customer_id, Offset(after), limit)
    parts = [b'{"offset":%d,"event":%s}' % (offset, payload) for offset, payload in found]
    nxt = found[-1][0] if found else after
    body = b'{"customerId":' + orjson.dumps(customer_id) + b',"events":['
    return Response(body + b",".join(parts) + b'],"next":%d}' % nxt, media_type="application/json")
