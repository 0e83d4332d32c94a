"""The rules of ad bid multipliers: per segment, per rising category, per external signal.

A small, validated structure with sane defaults; :meth:`BidRules.from_mapping` builds it from
plain data (the ``bid_rules`` setting, or a YAML mapping), naming the field that is wrong::

    bid_rules:
      segments: {high_value: 1.3, lapsed: 0.8}
      trend: {window: 1h, baseline: 7d, alpha: 0.01, min_count: 5, gain: 0.25, cap: 1.5}
      signals:
        - {kind: weather.heatwave, categories: [Air Conditioning, Fans], multiplier: 1.5}
        - {kind: weather.heatwave, categories: [Heaters], multiplier: 0.7}
      floor: 0.2
      ceiling: 3.0
      refresh_seconds: 5
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

from shopstream.catalog import CategoryPath, parse_category
from shopstream.decide.errors import InvalidBidRules
from shopstream.trends import Window

_SEGMENTS: Mapping[str, float] = MappingProxyType(
    {"high_value": 1.3, "cart_abandoner": 1.2, "new_customer": 1.1, "lapsed": 0.8}
)


@dataclass(frozen=True, slots=True)
class TrendBoost:
    """How a rising category raises a bid: ``min(1 + gain * log2(velocity), cap)``, only when
    the category passes the significance gate of :meth:`Trends.emerging` (``p < alpha`` and
    at least ``min_count`` weighted events in ``window``)."""

    window: Window = Window.HOUR
    baseline: Window = Window.WEEK
    alpha: float = 0.01
    min_count: int = 5
    gain: float = 0.25
    cap: float = 1.5

    def __post_init__(self) -> None:
        _window(self, "window", "trend.window")
        _window(self, "baseline", "trend.baseline")
        if Window(self.baseline).tier <= Window(self.window).tier:
            msg = f"trend.baseline must be longer than trend.window; got {self.baseline} <= {self.window}"
            raise InvalidBidRules(msg, field="trend.baseline")
        _number(self.alpha, "trend.alpha", low=0.0, high=1.0, open_high=True)
        if (
            isinstance(self.min_count, bool)
            or not isinstance(self.min_count, int)
            or self.min_count < 1
        ):
            msg = f"trend.min_count must be an integer >= 1; got {self.min_count!r}"
            raise InvalidBidRules(msg, field="trend.min_count")
        _number(self.gain, "trend.gain", low=0.0)
        _number(self.cap, "trend.cap", low=1.0, closed_low=True)


@dataclass(frozen=True, slots=True)
class SignalBoost:
    """While a signal of ``kind`` is in force in the bid's region, multiply bids on these
    ``categories`` (a category matches a path it begins, or any level it names:
    ``Air Conditioning`` matches ``Home > Cooling > Air Conditioning``) by ``multiplier``.
    With ``value`` and ``at_least``, only when the signal's ``values[value] >= at_least``."""

    kind: str
    categories: tuple[str, ...]
    multiplier: float
    value: str | None = None
    at_least: float | None = None
    paths: tuple[CategoryPath, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.kind, str) or not self.kind.strip():
            msg = f"kind must be a non-empty string; got {self.kind!r}"
            raise InvalidBidRules(msg, field="kind")
        raw = self.categories
        if isinstance(raw, str) or not isinstance(raw, list | tuple) or not raw:
            msg = f"categories must be a non-empty list of category names; got {raw!r}"
            raise InvalidBidRules(msg, field="categories")
        paths = []
        for i, name in enumerate(raw):
            path = parse_category(name) if isinstance(name, str) else ()
            if not path:
                msg = f"categories[{i}] must be a category name or path; got {name!r}"
                raise InvalidBidRules(msg, field=f"categories[{i}]")
            paths.append(tuple(part.casefold() for part in path))
        object.__setattr__(self, "categories", tuple(raw))
        object.__setattr__(self, "paths", tuple(paths))
        _number(self.multiplier, "multiplier", low=0.0)
        if (self.value is None) != (self.at_least is None):
            msg = "value and at_least go together: give both or neither"
            raise InvalidBidRules(msg, field="at_least" if self.at_least is None else "value")
        if self.at_least is not None:
            _number(self.at_least, "at_least", low=-math.inf)

    def matches(self, path: CategoryPath) -> bool:
        """Whether the boost applies to a category ``path`` (already case-folded)."""
        for rule in self.paths:
            if path[: len(rule)] == rule or (len(rule) == 1 and rule[0] in path):
                return True
        return False


@dataclass(frozen=True, slots=True)
class BidRules:
    """Every rule of ad bid multipliers.

    Args:
        segments: multiplier per segment the customer (or the request) is in.
        trend: how a rising category raises the bid; see :class:`TrendBoost`.
        signals: multipliers while external signals are in force; see :class:`SignalBoost`.
        floor: the lowest multiplier answered.
        ceiling: the highest multiplier answered.
        refresh_seconds: how long the trend and signal factors of a category and region are
            reused before they are computed again (the bid path reads them precomputed).

    Examples:
        >>> BidRules.from_mapping({"segments": {"vip": 1.4}}).segments["vip"]
        1.4
        >>> BidRules.from_mapping({"signals": [{"kind": "weather.heatwave", "multiplier": 2}]})
        Traceback (most recent call last):
        ...
        shopstream.decide.errors.InvalidBidRules: signals[0].categories is required
    """

    segments: Mapping[str, float] = field(default_factory=lambda: _SEGMENTS)
    trend: TrendBoost = field(default_factory=TrendBoost)
    signals: tuple[SignalBoost, ...] = field(default_factory=lambda: _HEATWAVE)
    floor: float = 0.2
    ceiling: float = 3.0
    refresh_seconds: float = 5.0

    def __post_init__(self) -> None:
        if not isinstance(self.segments, Mapping):
            msg = f"segments must be a mapping of segment name to multiplier; got {self.segments!r}"
            raise InvalidBidRules(msg, field="segments")
        for name, value in self.segments.items():
            if not isinstance(name, str) or not name:
                msg = f"segments keys must be segment names; got {name!r}"
                raise InvalidBidRules(msg, field="segments")
            _number(value, f"segments.{name}", low=0.0)
        object.__setattr__(self, "segments", MappingProxyType(dict(self.segments)))
        object.__setattr__(self, "signals", tuple(self.signals))
        _number(self.floor, "floor", low=0.0)
        _number(self.ceiling, "ceiling", low=0.0)
        if self.ceiling < self.floor:
            msg = f"ceiling must be at least floor; got ceiling={self.ceiling}, floor={self.floor}"
            raise InvalidBidRules(msg, field="ceiling")
        _number(self.refresh_seconds, "refresh_seconds", low=0.0)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> BidRules:
        """The rules of plain data (settings, YAML); missing keys keep their defaults.

        Raises:
            InvalidBidRules: an unknown key, or a value of the wrong type or out of range;
                ``field`` is its dotted path (``signals[1].multiplier``).
        """
        data = dict(data or {})
        _known(data, cls, "")
        given: dict[str, Any] = {k: v for k, v in data.items() if k not in ("trend", "signals")}
        if "trend" in data:
            trend = data["trend"]
            if not isinstance(trend, Mapping):
                msg = f"trend must be a mapping; got {trend!r}"
                raise InvalidBidRules(msg, field="trend")
            _known(trend, TrendBoost, "trend.")
            given["trend"] = TrendBoost(**trend)
        if "signals" in data:
            raw = data["signals"]
            if not isinstance(raw, list):
                msg = f"signals must be a list of signal rules; got {raw!r}"
                raise InvalidBidRules(msg, field="signals")
            given["signals"] = tuple(_signal(item, i) for i, item in enumerate(raw))
        return cls(**given)


def _signal(item: object, i: int) -> SignalBoost:
    where = f"signals[{i}]"
    if not isinstance(item, Mapping):
        msg = f"{where} must be a mapping; got {item!r}"
        raise InvalidBidRules(msg, field=where)
    _known(item, SignalBoost, f"{where}.")
    for required in ("kind", "categories", "multiplier"):
        if required not in item:
            msg = f"{where}.{required} is required"
            raise InvalidBidRules(msg, field=f"{where}.{required}")
    try:
        return SignalBoost(**item)
    except InvalidBidRules as exc:
        raise InvalidBidRules(f"{where}.{exc.message}", field=f"{where}.{exc.field}") from None


def _known(data: Mapping[str, Any], cls: type, prefix: str) -> None:
    allowed = {f.name for f in fields(cls) if f.init}
    for key in data:
        if key not in allowed:
            msg = f"{prefix}{key} is not a bid rule; expected one of {sorted(allowed)}"
            raise InvalidBidRules(msg, field=f"{prefix}{key}")


def _window(rules: TrendBoost, name: str, where: str) -> None:
    value = getattr(rules, name)
    try:
        object.__setattr__(rules, name, Window(value))
    except ValueError:
        msg = f"{where} must be one of {[str(w) for w in Window]}; got {value!r}"
        raise InvalidBidRules(msg, field=where) from None


def _number(
    value: object,
    where: str,
    *,
    low: float,
    high: float = math.inf,
    closed_low: bool = False,
    open_high: bool = False,
) -> None:
    ok = (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and (value >= low if closed_low or low == -math.inf else value > low)
        and (value < high if open_high else value <= high)
    )
    if not ok:
        bounds = f"{'[' if closed_low else '('}{low}, {high}{')' if open_high or high == math.inf else ']'}"
        msg = f"{where} must be a finite number in {bounds}; got {value!r}"
        raise InvalidBidRules(msg, field=where)


_HEATWAVE = (
    SignalBoost("weather.heatwave", ("Air Conditioning", "Fans"), 1.5),
    SignalBoost("weather.heatwave", ("Heaters",), 0.7),
)
