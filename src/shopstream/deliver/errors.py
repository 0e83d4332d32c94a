"""Errors of the deliver package."""

from __future__ import annotations

from shopstream.core import ShopstreamError


class DeliverError(ShopstreamError):
    code = "deliver.error"


class InvalidChannelConfig(DeliverError, ValueError):
    """The channels file is malformed; ``field`` names ``file:line: path`` of what failed."""

    code = "deliver.invalid-channel-config"


class InvalidOutboxQuery(DeliverError, ValueError):
    """A read of the outbox asked for something that does not exist (``field`` names it)."""

    code = "deliver.invalid-outbox-query"


class UnknownAudience(DeliverError, LookupError):
    code = "deliver.unknown-audience"
