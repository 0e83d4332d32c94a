"""The Segment-compatible collection API: ``/v1/track`` ... ``/v1/batch``."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import TypeAdapter, ValidationError

from shopstream.api.auth import KeyRing, Scope, basic_user
from shopstream.api.body import read_json
from shopstream.api.errors import ProblemError
from shopstream.api.responses import JSON
from shopstream.core import utcnow
from shopstream.engine import Engine
from shopstream.events import as_utc
from shopstream.log import CollectResult

router = APIRouter(prefix="/v1", tags=["collect"])
_DATETIME: TypeAdapter[datetime] = TypeAdapter(datetime)
_OK = JSON({"success": True})


def _parts(request: Request) -> tuple[Engine, KeyRing, Any]:
    state = request.app.state
    return state.engine, state.keys, state.metrics


async def _authorised_body(request: Request) -> tuple[dict[str, Any], str]:
    """The JSON object body and the source of the write key that sent it."""
    engine, keys, _ = _parts(request)
    secret = basic_user(request.headers.get("authorization"))
    if secret is not None:
        source = keys.require(secret, Scope.WRITE).source
    body = await read_json(request, engine.settings.max_request_bytes)
    if not isinstance(body, dict):
        msg = f"the body must be a JSON object; got {type(body).__name__}"
        raise ProblemError(400, "request.json", msg, field="body")
    if secret is None:
        written = body.get("writeKey")
        source = keys.require(written if isinstance(written, str) else None, Scope.WRITE).source
    return body, source


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


def _sent_at(body: dict[str, Any]) -> datetime | None:
    raw = body.get("sentAt")
    if raw is None:
        return None
    try:
        return as_utc(_DATETIME.validate_python(raw))
    except (ValidationError, OverflowError):
        msg = f"sentAt must be an ISO-8601 time; got {raw!r}"
        raise ProblemError(400, "events.invalid", msg, field="sentAt") from None


@router.post("/batch", include_in_schema=True)
async def batch(request: Request) -> JSON:
    """Many messages of any type in one request, as Segment's and RudderStack's SDKs send."""
    started = time.perf_counter()
    engine, _, metrics = _parts(request)
    body, source = await _authorised_body(request)
    received_at = utcnow()
    messages = body.get("batch")
    if not isinstance(messages, list):
        msg = f"batch must be a list of messages; got {type(messages).__name__}"
        raise ProblemError(400, "events.invalid", msg, field="batch")
    shared = body.get("context")
    if isinstance(shared, dict):
        messages = [_with_context(m, shared) for m in messages]
    result = await engine.collect(
        messages, source=source, received_at=received_at, sent_at=_sent_at(body), path="batch"
    )
    metrics.request_seconds.labels("batch").observe(time.perf_counter() - started)
    return _answer(result, "batch", metrics)


def _with_context(message: object, shared: dict[str, Any]) -> object:
    if not isinstance(message, dict):
        return message
    own = message.get("context")
    return {**message, "context": {**shared, **own} if isinstance(own, dict) else shared}


def _single(kind: str) -> Any:
    async def collect_one(request: Request) -> JSON:
        started = time.perf_counter()
        engine, _, metrics = _parts(request)
        body, source = await _authorised_body(request)
        body.pop("writeKey", None)
        body["type"] = kind
        result = await engine.collect([body], source=source, received_at=utcnow(), path="")
        metrics.request_seconds.labels(kind).observe(time.perf_counter() - started)
        return _answer(result, kind, metrics)

    collect_one.__name__ = kind
    collect_one.__doc__ = f"One {kind} message."
    return collect_one


for _kind in ("track", "identify", "page", "screen", "group", "alias"):
    router.add_api_route(f"/{_kind}", _single(_kind), methods=["POST"], name=_kind)
