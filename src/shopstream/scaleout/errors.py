"""Errors of the scale-out workers."""

from __future__ import annotations

from shopstream.core import ShopstreamError


class ScaleOutError(ShopstreamError):
    code = "scaleout.error"


class LeaseLost(ScaleOutError, RuntimeError):
    """A partition's lease moved to another worker; this worker must not apply its events."""

    code = "scaleout.lease-lost"


class OnlineStateLost(ScaleOutError, RuntimeError):
    """The online state is not whole (Redis restarted empty): it must be rebuilt from the
    archive before events are applied to it (:mod:`shopstream.scaleout.rebuild`)."""

    code = "scaleout.online-state-lost"
