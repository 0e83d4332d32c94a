"""Deliver over HTTP: the associate app's alerts (poll or server-sent events) and the ad
audiences (members, and the CSV to upload to an ad platform)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from starlette.responses import Response, StreamingResponse

from shopstream.api.admin import require
from shopstream.api.auth import Scope, bearer
from shopstream.api.responses import JSON
from shopstream.api.sessions import require_associate
from shopstream.core import StoreId
from shopstream.deliver import Alert, ExportFormat
from shopstream.delivery import export_audience
from shopstream.engine import Engine

router = APIRouter(prefix="/v1", tags=["deliver"])
_MAX_ID = 2**63 - 1
_STREAM_SECONDS = 300.0  # then the browser's EventSource reconnects
_KEEPALIVE_SECONDS = 15.0


def _alert_to_dict(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.id,
        "key": alert.key,
        "storeId": alert.store_id,
        "customerId": alert.customer_id,
        "name": alert.name,
        "kind": alert.kind,
        "triggerId": alert.trigger_id,
        "offerId": alert.offer_id,
        "payload": alert.payload,
        "at": alert.at,
    }


def _require_store(request: Request, store_id: str) -> Engine:
    """The store's signed-in associate, or a server key (an associate app of the retailer's)."""
    if bearer(request.headers.get("authorization")):
        require(request, Scope.SERVER)
    else:
        require_associate(request, store_id)
    engine: Engine = request.app.state.engine
    return engine


@router.get("/associate/stores/{store_id}/alerts")
async def alerts(
    request: Request,
    store_id: str,
    after: Annotated[int, Query(ge=0, le=_MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> JSON:
    """The store's alerts with ``id > after``, oldest first; poll with the last ``next``."""
    engine = _require_store(request, store_id)
    found = engine.alerts.alerts(StoreId(store_id), after, limit)
    return JSON({"alerts": [_alert_to_dict(a) for a in found],
                 "next": found[-1].id if found else after})  # fmt: skip


@router.get("/associate/stores/{store_id}/alerts/stream")
async def alert_stream(
    request: Request,
    store_id: str,
    after: Annotated[int, Query(ge=0, le=_MAX_ID)] = 0,
) -> StreamingResponse:
    """Server-sent events: an ``alert`` for each alert after ``after`` (the browser's
    ``Last-Event-ID`` wins), then for each new one as it is delivered."""
    engine = _require_store(request, store_id)
    last = request.headers.get("last-event-id", "")
    start = int(last) if last.isdigit() else after
    store = StoreId(store_id)

    def event(alert: Alert) -> bytes:
        return b"id: %d\nevent: alert\ndata: %s\n\n" % (
            alert.id,
            orjson.dumps(_alert_to_dict(alert)),
        )

    async def stream() -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _STREAM_SECONDS
        with engine.alerts.subscribe() as posted:
            yield b"retry: 2000\n\n"
            seen = start
            for alert in engine.alerts.alerts(store, start, 200):
                seen = alert.id
                yield event(alert)
            while loop.time() < deadline:
                try:
                    alert = await asyncio.wait_for(posted.get(), _KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                if alert.store_id == store and alert.id > seen:
                    seen = alert.id
                    yield event(alert)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)


@router.get("/audiences")
async def audiences(request: Request) -> JSON:
    """Every audience with its member count (admin key)."""
    require(request, Scope.ADMIN)
    engine: Engine = request.app.state.engine
    counts = await asyncio.to_thread(engine.audiences.audiences)
    return JSON({"audiences": [{"audience": a, "members": n} for a, n in counts.items()]})


@router.get("/audiences/{audience}/export")
async def export(
    request: Request,
    audience: str,
    format: ExportFormat = ExportFormat.GOOGLE,
) -> Response:
    """The audience as a CSV to upload: ``format=google`` (Customer Match) or ``meta``
    (custom audience customer list), identifiers normalised and SHA-256 hashed."""
    require(request, Scope.ADMIN)
    engine: Engine = request.app.state.engine
    text = await export_audience(engine, audience, format)
    filename = f"{audience}-{format}.csv"
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})  # fmt: skip
