"""Errors of the deliver package."""

from __future__ import annotations

from shopstream.core import ShopstreamError


class DeliverError(ShopstreamError):
    code = "deliver.error"


class InvalidChannelConfig(DeliverError, ValueError):
    """A channel setting is out of range or a template does not compile; ``field`` names it
    (``channels.email.templates.default.body``). Mistakes of form in ``channels.yaml`` raise
    :class:`~shopstream.core.InvalidConfigFile` with the file and line."""

    code = "deliver.invalid-channel-config"


class UnknownAudience(DeliverError, LookupError):
    code = "deliver.unknown-audience"


class TemplateFailed(DeliverError, ValueError):
    """A message template raised while rendering (the sandbox refused, or a filter failed)."""

    code = "deliver.template-failed"
