"""The lazily imported ``redis`` driver."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from types import ModuleType

from shopstream.log import LogUnavailable


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


@contextlib.contextmanager
def available(what: str) -> Iterator[None]:
    """Turn the driver's connection errors and timeouts into :class:`LogUnavailable`."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import ReadOnlyError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    try:
        yield
    except (RedisConnectionError, RedisTimeoutError, ReadOnlyError) as exc:
        msg = f"{what} is unavailable: {exc}"
        raise LogUnavailable(msg) from exc
