"""Injected time. Domains take ``now`` as an argument; only clocks read the wall."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return utcnow()


class FakeClock:
    """A clock that moves only when told to, for tests and replays.

    Examples:
        >>> clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
        >>> clock.advance(seconds=90).isoformat()
        '2026-01-01T00:01:30+00:00'
    """

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            msg = f"FakeClock needs a timezone-aware start; got {start!r}"
            raise ValueError(msg)
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment
