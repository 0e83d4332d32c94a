"""Text every store can keep: PostgreSQL refuses a NUL character in ``text`` and ``jsonb``."""

from __future__ import annotations


def has_nul(value: object) -> bool:
    """Whether ``value`` (a string, or dicts and lists of them, keys included) holds a NUL.

    Examples:
        >>> has_nul({"variants": {"a": 1, "b\\x00": 1}}), has_nul(["u1", 7])
        (True, False)
    """
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return False
