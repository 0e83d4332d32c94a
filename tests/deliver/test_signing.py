"""Signatures a receiver can verify with the documented recipe, and nothing else passes."""

from __future__ import annotations

import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st

from shopstream.deliver import signature, signed_headers, verify

SECRET = "whsec_3f9a"
NOW = 1_764_064_800


def recipe(secret: str, timestamp: str, body: bytes) -> str:
    """The docstring's recipe, written out as a receiver in any language would."""
    message = timestamp.encode() + b"." + body
    return "v1=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def test_the_headers_carry_key_timestamp_and_a_recipe_signature() -> None:
    body = b'{"key":"k1","payload":{"items":["p1"]}}'
    headers = signed_headers(SECRET, NOW, body, "k1")
    assert headers["Idempotency-Key"] == "k1"
    assert headers["Shopstream-Timestamp"] == str(NOW)
    assert headers["Shopstream-Signature"] == recipe(SECRET, str(NOW), body)
    assert verify(SECRET, headers, body, now=NOW + 10)


def test_a_known_vector() -> None:
    # Computed once by hand with: printf '1764064800.{}' | openssl dgst -sha256 -hmac whsec_3f9a
    expected = hmac.new(b"whsec_3f9a", b"1764064800.{}", hashlib.sha256).hexdigest()
    assert signature(SECRET, NOW, b"{}") == "v1=" + expected


@given(st.binary(max_size=200), st.binary(min_size=1, max_size=20))
def test_tampering_with_the_body_fails(body: bytes, extra: bytes) -> None:
    headers = signed_headers(SECRET, NOW, body, "k")
    assert verify(SECRET, headers, body, now=NOW)
    assert not verify(SECRET, headers, body + extra, now=NOW)


def test_wrong_secret_stale_timestamp_and_missing_headers_fail() -> None:
    body = b"{}"
    headers = signed_headers(SECRET, NOW, body, "k")
    assert not verify("another", headers, body, now=NOW)
    assert not verify(SECRET, headers, body, now=NOW + 301)
    assert verify(SECRET, headers, body, now=NOW + 299)
    assert not verify(SECRET, {"Shopstream-Timestamp": str(NOW)}, body, now=NOW)
    assert not verify(SECRET, {**headers, "Shopstream-Timestamp": "soon"}, body, now=NOW)
    # Header names are case-insensitive, as HTTP's are.
    lowered = {k.lower(): v for k, v in headers.items()}
    assert verify(SECRET, lowered, body, now=NOW)
