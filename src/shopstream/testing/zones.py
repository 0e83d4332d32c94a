"""Time zones for tests whose outcome depends on the local hour (quiet hours)."""

from __future__ import annotations

from datetime import UTC, datetime


def zone_at(hour: int) -> str:
    """An IANA zone where the local hour is ``hour`` now (``Etc/GMT-3`` is UTC+3)."""
    offset = (hour - datetime.now(UTC).hour) % 24
    offset = offset - 24 if offset > 14 else offset
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/UTC"
