"""Stable hashing: the same input gives the same number on every machine and run."""

from __future__ import annotations

import hashlib


def sha256_hex(value: str) -> str:
    """SHA-256 of the UTF-8 bytes of ``value``, as lower-case hex."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def stable_hash(value: str) -> int:
    """A 64-bit non-negative hash that does not change between processes (unlike ``hash``)."""
    return int.from_bytes(hashlib.blake2b(value.encode("utf-8"), digest_size=8).digest(), "big")


def stable_hex(value: str) -> str:
    """:func:`stable_hash` as 16 lower-case hex digits (``f"{stable_hash(value):016x}"``)."""
    return hashlib.blake2b(value.encode("utf-8"), digest_size=8).hexdigest()
