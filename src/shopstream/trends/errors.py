"""Errors of the trends package."""

from __future__ import annotations

from shopstream.core import ShopstreamError


class TrendError(ShopstreamError):
    code = "trends.error"


class InvalidTrendRules(TrendError, ValueError):
    """A :class:`~shopstream.trends.TrendRules` value is out of range; ``field`` names it."""

    code = "trends.invalid-rules"


class InvalidTrendQuery(TrendError, ValueError):
    """A query names a combination the trends cannot answer (``category`` on search terms...)."""

    code = "trends.invalid-query"


class InvalidTrendSnapshot(TrendError, ValueError):
    code = "trends.invalid-snapshot"
