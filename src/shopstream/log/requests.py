"""A collection request's body, from bytes to appended events.

The API runs this in its own process, or hands the bytes to collector processes
(:mod:`shopstream.log.remote`) which run the same code; either way a request is judged the
same: a body that is not a JSON object, a ``batch`` that is not a list or a ``sentAt`` that is
no time refuses the whole request, and each bad event of a good request is dead-lettered
beside the kept ones.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError

from shopstream.events import as_utc
from shopstream.log.collector import Collector, CollectResult
from shopstream.log.errors import RequestRefused

BATCH = "batch"
SINGLE_KINDS = ("track", "identify", "page", "screen", "group", "alias")
_DATETIME: TypeAdapter[datetime] = TypeAdapter(datetime)


def decode_body(body: bytes) -> dict[str, Any]:
    """The JSON object a request carries."""
    try:
        decoded = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        msg = f"the body is not valid JSON: {exc}"
        raise RequestRefused("request.json", msg, field="body") from None
    if not isinstance(decoded, dict):
        msg = f"the body must be a JSON object; got {type(decoded).__name__}"
        raise RequestRefused("request.json", msg, field="body")
    return decoded


async def collect_body(
    collector: Collector, body: dict[str, Any], *, kind: str, source: str, received_at: datetime
) -> CollectResult:
    """Collect the message(s) of a ``/v1/batch`` body (``kind="batch"``) or of one message
    sent to ``/v1/{kind}``."""
    if kind != BATCH:
        body.pop("writeKey", None)
        body["type"] = kind
        return await collector.collect([body], source=source, received_at=received_at, path="")
    messages = body.get("batch")
    if not isinstance(messages, list):
        msg = f"batch must be a list of messages; got {type(messages).__name__}"
        raise RequestRefused("events.invalid", msg, field="batch")
    shared = body.get("context")
    if isinstance(shared, dict):
        messages = [_with_context(m, shared) for m in messages]
    return await collector.collect(
        messages, source=source, received_at=received_at, sent_at=_sent_at(body), path=BATCH
    )


def _sent_at(body: dict[str, Any]) -> datetime | None:
    raw = body.get("sentAt")
    if raw is None:
        return None
    try:
        return as_utc(_DATETIME.validate_python(raw))
    except (ValidationError, OverflowError):
        msg = f"sentAt must be an ISO-8601 time; got {raw!r}"
        raise RequestRefused("events.invalid", msg, field="sentAt") from None


def _with_context(message: object, shared: dict[str, Any]) -> object:
    if not isinstance(message, dict):
        return message
    own = message.get("context")
    return {**message, "context": {**shared, **own} if isinstance(own, dict) else shared}
