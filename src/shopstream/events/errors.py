"""Errors of the event model."""

from __future__ import annotations

from shopstream.core import ShopstreamError


class EventError(ShopstreamError):
    code = "events.error"


class InvalidEvent(EventError, ValueError):
    """An event failed validation; ``field`` names the path that failed (``batch[3].userId``)."""

    code = "events.invalid"


class EventTooLarge(InvalidEvent):
    code = "events.too-large"
