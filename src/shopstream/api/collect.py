"""The Segment-compatible collection API: ``/v1/track`` ... ``/v1/batch``."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request

from shopstream.api.auth import KeyRing, Scope, basic_user
from shopstream.api.body import read_body
from shopstream.api.errors import ProblemError
from shopstream.api.responses import JSON
from shopstream.core import utcnow
from shopstream.engine import Engine
from shopstream.log import CollectResult
from shopstream.log.requests import BATCH, SINGLE_KINDS, decode_body

router = APIRouter(prefix="/v1", tags=["collect"])
_OK = JSON({"success": True})


def _parts(request: Request) -> tuple[Engine, KeyRing, Any]:
    state = request.app.state
    return state.engine, state.keys, state.metrics


def _answer(result: CollectResult, endpoint: str, metrics: Any) -> JSON:
    metrics.accepted.labels(endpoint).inc(len(result.offsets))
    if not result.rejections:
        return _OK
    metrics.rejected.labels(endpoint).inc(len(result.rejections))
    first = result.rejections[0]
    kept = len(result.offsets)
    detail = (
        f"{len(result.rejections)} event(s) rejected and kept as dead letters; "
        f"{kept} valid event(s) stored. First: {first.reason}"
    )
    raise ProblemError(
        400,
        "events.invalid",
        detail,
        field=first.field,
        accepted=kept,
        errors=[
            {"index": r.index, "field": r.field, "detail": r.reason} for r in result.rejections
        ],
    )


async def _collect(request: Request, kind: str) -> JSON:
    """Authorise (HTTP Basic, or ``writeKey`` in the body), read the body, collect it."""
    started = time.perf_counter()
    engine, keys, metrics = _parts(request)
    secret = basic_user(request.headers.get("authorization"))
    if secret is not None:
        source = keys.require(secret, Scope.WRITE).source
    body = await read_body(request, engine.settings.max_request_bytes)
    if secret is None:
        written = decode_body(body).get("writeKey")
        source = keys.require(written if isinstance(written, str) else None, Scope.WRITE).source
    result = await engine.collect_body(body, kind=kind, source=source, received_at=utcnow())
    metrics.request_seconds.labels(kind).observe(time.perf_counter() - started)
    return _answer(result, kind, metrics)


@router.post("/batch", include_in_schema=True)
async def batch(request: Request) -> JSON:
    """Many messages of any type in one request, as Segment's and RudderStack's SDKs send."""
    return await _collect(request, BATCH)


def _single(kind: str) -> Any:
    async def collect_one(request: Request) -> JSON:
        return await _collect(request, kind)

    collect_one.__name__ = kind
    collect_one.__doc__ = f"One {kind} message."
    return collect_one


for _kind in SINGLE_KINDS:
    router.add_api_route(f"/{_kind}", _single(_kind), methods=["POST"], name=_kind)
