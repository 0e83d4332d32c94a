"""Signed JSON POSTs over httpx, and what their answers mean for a delivery."""

from __future__ import annotations

import contextlib
import time
from typing import Any

import httpx
import orjson

from shopstream.deliver.channel import Receipt
from shopstream.deliver.signing import signed_headers

# 408 timeout, 409 a concurrent request with the same key still in flight, 425 too early,
# 429 slow down: all worth a retry. Every other 4xx means the request itself is refused.
_RETRYABLE_4XX = frozenset({408, 409, 425, 429})


async def post_signed(
    client: httpx.AsyncClient,
    url: str,
    secret: str,
    key: str,
    body: dict[str, Any],
    *,
    ok: Receipt,
) -> Receipt:
    """POST ``body`` signed with ``secret`` and ``key`` as its idempotency key; answer ``ok``
    on a 2xx, a retry on a network error, a timeout, 408/409/425/429 or a 5xx, else a reject."""
    raw = orjson.dumps(body)
    headers = signed_headers(secret, int(time.time()), raw, key)
    try:
        response = await client.post(url, content=raw, headers=headers)
    except httpx.HTTPError as exc:
        return Receipt.retry(f"{type(exc).__name__} posting to the receiver")
    status = response.status_code
    if 200 <= status < 300:
        return Receipt(ok.outcome, f"{status}")
    if status >= 500 or status in _RETRYABLE_4XX:
        return Receipt.retry(f"{status} from the receiver", _retry_after(response))
    return Receipt.reject(f"{status} from the receiver")


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    with contextlib.suppress(ValueError):
        return max(0.0, float(value))
    return None
