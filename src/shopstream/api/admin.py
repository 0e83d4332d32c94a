"""Operator reads: the log in order, and the dead letters."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from shopstream.api.auth import Scope, basic_user, bearer
from shopstream.core import Offset

router = APIRouter(prefix="/v1", tags=["admin"])
# SQLite integers are 64-bit; a larger ``after`` would fail to bind (a 500, not a 400).
_MAX_OFFSET = 2**63 - 1


def require(request: Request, scope: Scope) -> None:
    """Check the bearer key (or, for a write key sent as Segment does, the Basic user)."""
    header = request.headers.get("authorization")
    request.app.state.keys.require(bearer(header) or basic_user(header), scope)


@router.get("/events")
async def events(
    request: Request,
    after: Annotated[int, Query(ge=0, le=_MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 100,
) -> Response:
    """The log from ``after`` (exclusive), in order, each event with its offset."""
    require(request, Scope.ADMIN)
    records = await request.app.state.engine.events(Offset(after), limit)
    parts = [b'{"offset":%d,"event":%s}' % (r.offset, r.payload) for r in records]
    nxt = records[-1].offset if records else after
    body = b'{"events":[' + b",".join(parts) + b'],"next":%d}' % nxt
    return Response(body, media_type="application/json")


@router.get("/dead-letters")
async def dead_letters(
    request: Request,
    after: Annotated[int, Query(ge=0, le=_MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    """Rejected events with the field that failed and why."""
    require(request, Scope.ADMIN)
    letters = await request.app.state.engine.dead_letters(after, limit)
    items = []
    for letter in letters:
        try:
            payload = orjson.loads(letter.payload)
        except orjson.JSONDecodeError:
            payload = letter.payload.decode("utf-8", "replace")
        items.append(
            {
                "id": letter.id,
                "source": letter.source,
                "receivedAt": letter.received_at,
                "field": letter.field,
                "reason": letter.reason,
                "event": payload,
            }
        )
    nxt = letters[-1].id if letters else after
    return Response(
        orjson.dumps({"deadLetters": items, "next": nxt}), media_type="application/json"
    )
