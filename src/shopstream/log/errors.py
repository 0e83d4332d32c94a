"""Errors of the event log."""

from __future__ import annotations

from shopstream.core import ShopstreamError


class LogError(ShopstreamError):
    code = "log.error"


class LogUnavailable(LogError, ConnectionError):
    """The log cannot append now; nothing was acknowledged, the client should retry."""

    code = "log.unavailable"


class RequestRefused(LogError, ValueError):
    """A whole collection request is refused (its body, ``batch`` or ``sentAt``), as opposed
    to one event of it, which is dead-lettered while the others are kept."""

    def __init__(self, code: str, message: str, *, field: str) -> None:
        super().__init__(message, field=field)
        self.code = code
