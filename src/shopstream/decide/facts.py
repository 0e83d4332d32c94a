"""What decide expressions can read about a customer at a moment: :class:`Facts`.

Profile features (RFM, cart, wish list, presence, session intent, consent, traits),
category and brand affinities as shares of the shopper's total, recent event counts kept by
:class:`RecentEvents`, segment membership, the local hour, and, for trigger conditions,
the event being processed (``event``, ``properties.<key>``).
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from shopstream.core import CustomerId
from shopstream.decide.expressions import Names, Value
from shopstream.events import Message
from shopstream.profiles import Affinities, Profile, ProfileRules, Purpose

NAMES = Names(
    roots=frozenset(
        {
            "event",
            "channel",
            "event_count",
            "order_count",
            "revenue",
            "days_since_last_order",
            "days_since_first_seen",
            "sessions",
            "intent",
            "cart_items",
            "cart_value",
            "wishlist_size",
            "in_store",
            "store_id",
            "zone_id",
            "hour",
            "weekday",
        }
    ),
    prefixes=frozenset({"properties", "traits", "consent", "segment"}),
    functions={"count": (1, 2), "affinity": (1,), "brand_affinity": (1,), "in_segment": (1,)},
)

_COUNTED = re.compile(r"""count\(\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")""")
_DAY = 86400.0


def counted_events(expression: str) -> set[str]:
    """The event names an expression counts with ``count('Name', window)``."""
    return {a or b for a, b in _COUNTED.findall(expression)}


class RecentEvents:
    """Per customer, the recent times of the event names some expression counts.

    Bounded twice: times older than ``horizon`` seconds go, and at most ``per_name`` are
    kept per customer and name. Deterministic (times are the log's), and saved with the
    decide state.
    """

    def __init__(self, horizon: float = 30 * _DAY, per_name: int = 50) -> None:
        self.horizon = horizon
        self.per_name = per_name
        self.tracked: frozenset[str] = frozenset()
        self._times: dict[CustomerId, dict[str, list[float]]] = {}

    def record(self, customer_id: CustomerId, name: str, at: float) -> None:
        if name not in self.tracked:
            return
        times = self._times.setdefault(customer_id, {}).setdefault(name, [])
        times.append(at)
        cutoff = at - self.horizon
        if len(times) > self.per_name or times[0] < cutoff:
            kept = [t for t in times[-self.per_name :] if t >= cutoff]
            times[:] = kept

    def count(self, customer_id: CustomerId, name: str, since: float) -> int:
        """How many at or after ``since`` (times are the log's clock: already in order)."""
        times = self._times.get(customer_id, {}).get(name, ())
        return len(times) - bisect.bisect_left(times, since)

    def to_snapshot(self) -> dict[str, Any]:
        return {"tracked": sorted(self.tracked), "times": self._times}

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any]) -> RecentEvents:
        recent = cls()
        recent.tracked = frozenset(data["tracked"])
        recent._times = {CustomerId(c): dict(v) for c, v in data["times"].items()}
        return recent


def share(affinities: Affinities | None, prefix: str) -> float:
    """The share of the shopper's affinity held by keys at or under ``prefix`` (0 to 1)."""
    if affinities is None or not affinities.keys:
        return 0.0
    total = sum(affinities.values)
    if total <= 0:
        return 0.0
    below = prefix + "/"
    held = sum(
        v for k, v in zip(affinities.keys, affinities.values, strict=True)
        if k == prefix or k.startswith(below)
    )  # fmt: skip
    return held / total


class Facts:
    """The :class:`~shopstream.decide.expressions.Scope` of one customer at one moment."""

    __slots__ = (
        "_cache", "_zone", "customer_id", "message", "now", "price", "profile", "recent",
        "rules", "segments",
    )  # fmt: skip

    def __init__(
        self,
        customer_id: CustomerId,
        profile: Profile | None,
        *,
        now: float,
        rules: ProfileRules,
        zone: ZoneInfo | Callable[[], ZoneInfo],
        recent: RecentEvents | None = None,
        segments: Callable[[str], bool] | None = None,
        message: Message | None = None,
        price: Callable[[str], float | None] | None = None,
    ) -> None:
        self.customer_id = customer_id
        self.profile = profile
        self.now = now
        self.rules = rules
        self._zone = zone
        self.recent = recent
        self.segments = segments
        self.message = message
        self.price = price
        self._cache: dict[str, Value] = {}

    def name(self, path: str) -> Value:
        if path in self._cache:
            return self._cache[path]
        value = self._resolve(path)
        self._cache[path] = value
        return value

    def call(self, function: str, args: Sequence[Value]) -> Value:
        profile = self.profile
        if function == "count":
            if self.recent is None or not isinstance(args[0], str):
                return 0
            window = args[1] if len(args) > 1 else self.recent.horizon
            if not isinstance(window, (int, float)):
                return 0
            return self.recent.count(self.customer_id, args[0], self.now - float(window))
        if function == "in_segment":
            return bool(self.segments and isinstance(args[0], str) and self.segments(args[0]))
        if not isinstance(args[0], str) or profile is None:
            return 0.0
        if function == "affinity":
            return share(profile.categories, args[0])
        return share(profile.brands, args[0])  # brand_affinity

    @property
    def zone(self) -> ZoneInfo:
        """The customer's time zone (found on first use: most events never need it)."""
        zone = self._zone
        if not isinstance(zone, ZoneInfo):
            zone = self._zone = zone()
        return zone

    def local(self) -> datetime:
        return datetime.fromtimestamp(self.now, self.zone)

    def moment(self) -> tuple[datetime, str, time]:
        """``now`` in UTC, the local date (ISO) and the local time of day, computed once."""
        cached = self._cache.get("@moment")
        if cached is None:
            local = self.local()
            cached = (local.astimezone(UTC), local.date().isoformat(), local.time())
            self._cache["@moment"] = cached
        return cached  # type: ignore[no-any-return]

    def _resolve(self, path: str) -> Value:
        head, _, tail = path.partition(".")
        message, profile, now = self.message, self.profile, self.now
        if head == "properties":
            return _plain(message.properties.get(tail)) if message is not None else None
        if head == "event":
            return message.event if message is not None and message.type == "track" else None
        if head == "channel":
            return str(message.channel) if message is not None and message.channel else None
        if head == "segment":
            return bool(self.segments and self.segments(tail))
        if head == "hour":
            return float(self.local().hour)
        if head == "weekday":
            return float(self.local().isoweekday())
        if profile is None:
            return 0.0 if head in _COUNTS else None
        if head == "traits":
            return _plain((profile.traits or {}).get(tail))
        if head == "consent":
            try:
                return profile.consents_to(Purpose(tail))
            except ValueError:
                return None
        if head == "event_count":
            return float(profile.event_count)
        if head == "order_count":
            return float(profile.order_count)
        if head == "revenue":
            return profile.revenue
        if head == "days_since_last_order":
            last = profile.last_order_at
            return None if last is None else (now - last) / _DAY
        if head == "days_since_first_seen":
            first = profile.first_seen
            return None if math.isinf(first) else (now - first) / _DAY
        if head == "sessions":
            return float(profile.sessions)
        if head == "intent":
            return profile.intent.at(now, self.rules.intent_half_life.total_seconds())
        if head == "cart_items":
            return float(sum((profile.cart or {}).values()))
        if head == "cart_value":
            price = self.price
            return sum(
                (price(p) or 0.0) * q for p, q in (profile.cart or {}).items()
            ) if price else 0.0  # fmt: skip
        if head == "wishlist_size":
            return float(len(profile.wishlist or ()))
        present = profile.presence_at is not None and (
            now - profile.presence_at <= self.rules.presence_ttl.total_seconds()
        )
        if head == "in_store":
            return present and profile.store_id is not None
        if head == "store_id":
            return profile.store_id if present else None
        return profile.zone_id if present else None  # zone_id


_COUNTS = frozenset({
    "event_count", "order_count", "revenue", "sessions", "intent", "cart_items", "cart_value",
    "wishlist_size",
})  # fmt: skip


def _plain(value: object) -> Value:
    """Values of traits and properties as the language knows them (ints become floats)."""
    if isinstance(value, bool) or value is None or isinstance(value, (str, float)):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return None
