"""Signed deliveries: how a receiver knows a request came from this Shopstream, unaltered.

Every request Shopstream sends to a webhook or provider carries:

- ``Idempotency-Key``: the activation key. Retries of one activation carry the same key;
  a receiver that has seen a key must not act on it again (answer 2xx again).
- ``Shopstream-Timestamp``: the time of signing, in whole POSIX seconds.
- ``Shopstream-Signature``: ``v1=`` and the lowercase hex HMAC-SHA256, keyed with the
  channel's shared secret (its UTF-8 bytes), of ``timestamp + "." + body`` (the exact
  bytes of the body, as received).

To verify (any language): recompute the HMAC over the timestamp header, a dot and the raw
body; compare it with the signature in constant time; reject a timestamp more than five
minutes from your clock (a replayed request). :func:`verify` does exactly that::

    ok = verify(secret, request.headers, raw_body, now=time.time())
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

SIGNATURE = "Shopstream-Signature"
TIMESTAMP = "Shopstream-Timestamp"
IDEMPOTENCY_KEY = "Idempotency-Key"
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Shopstream-Signature`` value for ``body`` signed at ``timestamp``."""
    mac = hmac.new(secret.encode(), b"%d." % timestamp + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def signed_headers(secret: str, timestamp: int, body: bytes, key: str) -> dict[str, str]:
    """The headers every delivery carries (see the module docstring)."""
    return {
        IDEMPOTENCY_KEY: key,
        TIMESTAMP: str(timestamp),
        SIGNATURE: signature(secret, timestamp, body),
        "Content-Type": "application/json",
    }


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float,
    tolerance: float = TOLERANCE_SECONDS,
) -> bool:
    """Whether ``body`` with ``headers`` was signed with ``secret`` within ``tolerance``."""
    lowered = {k.lower(): v for k, v in headers.items()}
    stamp = lowered.get(TIMESTAMP.lower(), "")
    given = lowered.get(SIGNATURE.lower(), "")
    if not stamp.isdigit() or abs(now - int(stamp)) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, int(stamp), body), given)
