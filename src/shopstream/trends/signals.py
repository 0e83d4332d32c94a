"""External signals (a heatwave forecast, a local event), kept per region until they lapse.

A ``Signal Received`` event carries ``kind`` (``"weather.heatwave"``), an optional ``region``
(none means everywhere), ``values`` (scalars: ``{"temp_c": 34}``) and optionally
``valid_from`` and ``valid_until`` (ISO-8601; by default the signal holds from the event's
time for the rules' ``signal_ttl``). For each region and kind the latest issued signal wins,
so a revised forecast replaces the one before it. Regions are compared case-insensitively.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from shopstream.events import Track

logger = logging.getLogger(__name__)

SignalValue = str | int | float | bool


@dataclass(frozen=True, slots=True)
class Signal:
    """One external signal, in force over ``[valid_from, valid_until)``.

    Examples:
        >>> t = datetime(2026, 7, 1, tzinfo=UTC)
        >>> s = Signal("weather.heatwave", "uk", {"temp_c": 34}, t, t, t + timedelta(days=2))
        >>> s.active(t + timedelta(days=1)), s.active(t + timedelta(days=2))
        (True, False)
    """

    kind: str
    region: str | None
    values: Mapping[str, SignalValue]
    issued_at: datetime
    valid_from: datetime
    valid_until: datetime

    def active(self, now: datetime) -> bool:
        return self.valid_from <= now < self.valid_until


def normalize_region(region: object) -> str | None:
    """Case-folded, trimmed region; ``None`` (everywhere) for a blank or non-string one."""
    if not isinstance(region, str):
        return None
    return region.strip().casefold() or None


def signal_from_message(message: Track, *, ttl: timedelta, now: datetime) -> Signal | None:
    """The signal of a ``Signal Received`` event, or ``None`` if it has no kind or no span."""
    props = message.properties
    kind = props.get("kind")
    if not isinstance(kind, str) or not kind.strip():
        return None
    issued_at = message.timestamp or message.received_at or now
    valid_from = _moment(props.get("valid_from"), "valid_from") or issued_at
    valid_until = _moment(props.get("valid_until"), "valid_until") or valid_from + ttl
    if valid_until <= valid_from:
        logger.debug("signal %s ignored: valid_until is not after valid_from", kind)
        return None
    raw = props.get("values")
    values = {k: v for k, v in raw.items() if _scalar(v)} if isinstance(raw, dict) else {}
    return Signal(
        kind=kind.strip(),
        region=normalize_region(props.get("region")),
        values=values,
        issued_at=issued_at,
        valid_from=valid_from,
        valid_until=valid_until,
    )


def _moment(value: object, name: str) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        logger.debug("signal %s %r is not ISO-8601; using the default", name, value)
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _scalar(value: object) -> bool:
    return isinstance(value, str | int | bool) or (
        isinstance(value, float) and math.isfinite(value)
    )


class Signals:
    """The signals in force, by region and kind; the latest issued of each wins.

    Examples:
        >>> t = datetime(2026, 7, 1, tzinfo=UTC)
        >>> signals = Signals()
        >>> signals.add(Signal("weather.heatwave", "uk", {}, t, t, t + timedelta(days=1)))
        True
        >>> [s.kind for s in signals.active("UK", t)]
        ['weather.heatwave']
    """

    __slots__ = ("_held",)

    def __init__(self) -> None:
        self._held: dict[str | None, dict[str, Signal]] = {}

    def add(self, signal: Signal) -> bool:
        """Hold ``signal`` unless one of its region and kind was issued later; False if so."""
        kinds = self._held.setdefault(signal.region, {})
        held = kinds.get(signal.kind)
        if held is not None and held.issued_at > signal.issued_at:
            return False
        kinds[signal.kind] = signal
        return True

    def active(self, region: str | None, now: datetime) -> list[Signal]:
        """The signals in force at ``now`` in ``region``: its own first, then those for
        everywhere, each by kind. ``None`` asks for the signals for everywhere only."""
        place = normalize_region(region)
        found: list[Signal] = []
        for where in (place, None) if place is not None else (None,):
            kinds = self._held.get(where, {})
            found.extend(kinds[kind] for kind in sorted(kinds) if kinds[kind].active(now))
        return found

    def expire(self, now: datetime) -> int:
        """Forget the signals that have lapsed by ``now``; returns how many."""
        dropped = 0
        for region in list(self._held):
            kinds = self._held[region]
            for kind in [k for k, s in kinds.items() if s.valid_until <= now]:
                del kinds[kind]
                dropped += 1
            if not kinds:
                del self._held[region]
        return dropped

    def merge(self, other: Signals) -> None:
        """Hold the later issued of each region and kind (ties keep the longer-lived)."""
        for kinds in other._held.values():
            for signal in kinds.values():
                held = self._held.get(signal.region, {}).get(signal.kind)
                if held is None or (signal.issued_at, signal.valid_until) > (
                    held.issued_at,
                    held.valid_until,
                ):
                    self._held.setdefault(signal.region, {})[signal.kind] = signal

    def __iter__(self) -> Iterator[Signal]:
        return (s for kinds in self._held.values() for s in kinds.values())

    def __len__(self) -> int:
        return sum(len(kinds) for kinds in self._held.values())

    def to_snapshot(self) -> list[dict[str, Any]]:
        return [
            {
                "kind": s.kind,
                "region": s.region,
                "values": dict(s.values),
                "issued_at": s.issued_at.isoformat(),
                "valid_from": s.valid_from.isoformat(),
                "valid_until": s.valid_until.isoformat(),
            }
            for s in sorted(self, key=lambda s: (s.region or "", s.kind))
        ]

    @classmethod
    def from_snapshot(cls, data: list[Mapping[str, Any]]) -> Signals:
        """The inverse of :meth:`to_snapshot`; raises ``KeyError``/``ValueError`` if malformed."""
        signals = cls()
        for item in data:
            signals.add(
                Signal(
                    kind=str(item["kind"]),
                    region=item["region"],
                    values=dict(item["values"]),
                    issued_at=datetime.fromisoformat(item["issued_at"]),
                    valid_from=datetime.fromisoformat(item["valid_from"]),
                    valid_until=datetime.fromisoformat(item["valid_until"]),
                )
            )
        return signals
