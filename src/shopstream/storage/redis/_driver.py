"""The lazily imported ``redis`` driver."""

from __future__ import annotations

from types import ModuleType


class MissingDependencyError(ImportError):
    """An optional driver is not installed; the message names the extra that installs it."""


def require_redis() -> ModuleType:
    """``redis.asyncio``, imported on first use; an error naming the extra if it is missing."""
    try:
        import redis.asyncio  # lazily, on purpose (STYLE.md rule 5)
    except ImportError as exc:
        msg = "the Redis backend needs the redis driver: pip install 'shopstream[redis]'"
        raise MissingDependencyError(msg) from exc
    return redis.asyncio
