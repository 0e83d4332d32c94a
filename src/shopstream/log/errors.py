"""Errors of the event log."""

from __future__ import annotations

from shopstream.core import ShopstreamError


class LogError(ShopstreamError):
    code = "log.error"


class LogUnavailable(LogError, ConnectionError):
    """The log cannot append now; nothing was acknowledged, the client should retry."""

    code = "log.unavailable"
