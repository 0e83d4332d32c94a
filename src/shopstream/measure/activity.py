"""The live activity of the stream: events per second by channel, the funnel, and KPIs.

:class:`Activity` is fed every processed event with the customer identity resolved it to,
and answers for windows ending at a ``now`` the caller gives. Time is the event's arrival
(``receivedAt``): the dashboard shows what is happening now, even when a replay sends
events that happened long ago.

It keeps, per funnel stage, the time each shopper last reached it (a dict kept in that
order, so expiry and window counts only walk the part that matters), and the orders of the
longest window by id (an order reported by the web and again by the till counts once).
Its state is not saved: after a restart it fills again from the events processed since.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shopstream.core import CustomerId
from shopstream.events import EventName, Message

FUNNEL: tuple[tuple[str, EventName], ...] = (
    ("view", EventName.PRODUCT_VIEWED),
    ("cart", EventName.PRODUCT_ADDED),
    ("checkout", EventName.CHECKOUT_STARTED),
    ("order", EventName.ORDER_COMPLETED),
)
"""The stages of the funnel, in order, and the event that reaches each."""

_STAGE_OF: Mapping[str, str] = {str(event): stage for stage, event in FUNNEL}
_ACTIVE = "active"


@dataclass(frozen=True, slots=True)
class Rates:
    """Events per second by channel over the ``len(total)`` seconds from ``start``."""

    start: int
    channels: dict[str, list[int]]
    total: list[int]


@dataclass(frozen=True, slots=True)
class FunnelStage:
    """How many distinct shoppers reached ``stage`` (sent ``event``) in the window."""

    stage: str
    event: str
    shoppers: int


@dataclass(frozen=True, slots=True)
class Kpis:
    """Orders, revenue and conversion over a window of ``seconds``.

    ``conversion`` is buyers over shoppers who viewed a product (``None`` without views).
    """

    seconds: int
    shoppers: int
    orders: int
    revenue: float
    buyers: int
    conversion: float | None


class Activity:
    """Recent activity of the whole stream, for the dashboard.

    Args:
        rate_seconds: how many seconds of per-second counts to keep.
        longest_window: the longest window (seconds) funnels and KPIs are asked for.

    Examples:
        >>> from datetime import UTC, datetime
        >>> from shopstream.events import parse_message
        >>> t = datetime(2026, 3, 1, 12, tzinfo=UTC)
        >>> view = parse_message({"type": "track", "anonymousId": "a1",
        ...     "event": "Product Viewed", "properties": {"product_id": "p1"},
        ...     "context": {"channel": "web"}}, source="web", received_at=t)
        >>> activity = Activity()
        >>> activity.record(view, CustomerId("c1"), at=t)
        >>> [(s.stage, s.shoppers) for s in activity.funnel(t, 3600)]
        [('view', 1), ('cart', 0), ('checkout', 0), ('order', 0)]
        >>> activity.rates(t, seconds=2).channels
        {'web': [0, 1]}
    """

    __slots__ = ("_expired_at", "_longest", "_orders", "_rate_seconds", "_seconds", "_stages")

    def __init__(self, *, rate_seconds: int = 300, longest_window: int = 86_400) -> None:
        if rate_seconds < 1 or longest_window < 1:
            msg = (
                "rate_seconds and longest_window must be positive; "
                f"got {rate_seconds} and {longest_window}"
            )
            raise ValueError(msg)
        self._rate_seconds = rate_seconds
        self._longest = longest_window
        self._seconds: dict[int, dict[str, int]] = {}
        self._stages: dict[str, dict[CustomerId, float]] = {
            stage: {} for stage in (_ACTIVE, *(s for s, _ in FUNNEL))
        }
        self._orders: dict[str, tuple[float, float]] = {}
        self._expired_at = 0

    def record(self, message: Message, customer_id: CustomerId | None, *, at: datetime) -> None:
        """Count one processed event that arrived at ``at``."""
        moment = at.timestamp()
        second = int(moment)
        counts = self._seconds.get(second)
        if counts is None:
            counts = self._seconds[second] = {}
            self._expire_seconds(second)
            if second - self._expired_at >= 60:
                self.expire(moment)
        channel = str(message.channel or "server")
        counts[channel] = counts.get(channel, 0) + 1
        if customer_id is None:
            return
        _touch(self._stages[_ACTIVE], customer_id, moment)
        if message.type != "track":
            return
        stage = _STAGE_OF.get(message.event)
        if stage is None:
            return
        _touch(self._stages[stage], customer_id, moment)
        if stage == "order":
            self._order(message.properties, moment)

    def _order(self, props: Mapping[str, Any], moment: float) -> None:
        order_id = str(props.get("order_id", ""))
        if order_id in self._orders:
            return
        total = props.get("total")
        if total is None:
            total = props.get("revenue")
        if total is None:
            total = sum(
                float(line.get("price") or 0.0) * int(line.get("quantity") or 1)
                for line in props.get("products") or ()
            )
        self._orders[order_id] = (moment, float(total))

    def _expire_seconds(self, newest: int) -> None:
        cutoff = newest - self._rate_seconds
        while self._seconds:
            oldest = next(iter(self._seconds))
            if oldest >= cutoff:
                return
            del self._seconds[oldest]

    def expire(self, now: float) -> None:
        """Forget what is older than the longest window."""
        self._expired_at = int(now)
        cutoff = now - self._longest
        for seen in self._stages.values():
            while seen:
                first = next(iter(seen))
                if seen[first] >= cutoff:
                    break
                del seen[first]
        while self._orders:
            first = next(iter(self._orders))
            if self._orders[first][0] >= cutoff:
                break
            del self._orders[first]

    # -- reads ------------------------------------------------------------------------------

    def rates(self, now: datetime, seconds: int = 60) -> Rates:
        """Per-second counts for the ``seconds`` seconds ending at ``now`` (inclusive)."""
        seconds = max(1, min(seconds, self._rate_seconds))
        end = int(now.timestamp())
        start = end - seconds + 1
        channels: dict[str, list[int]] = {}
        total = [0] * seconds
        for second, counts in self._seconds.items():
            if start <= second <= end:
                for channel, count in counts.items():
                    series = channels.setdefault(channel, [0] * seconds)
                    series[second - start] += count
                    total[second - start] += count
        return Rates(start=start, channels=dict(sorted(channels.items())), total=total)

    def funnel(self, now: datetime, seconds: int) -> list[FunnelStage]:
        """Distinct shoppers who reached each stage in the ``seconds`` before ``now``."""
        since = now.timestamp() - seconds
        return [
            FunnelStage(stage, str(event), _count_since(self._stages[stage], since))
            for stage, event in FUNNEL
        ]

    def kpis(self, now: datetime, seconds: int) -> Kpis:
        """Orders, revenue, shoppers and conversion in the ``seconds`` before ``now``."""
        moment = now.timestamp()
        since = moment - seconds
        orders = 0
        revenue = 0.0
        for at, total in reversed(self._orders.values()):
            if at < since:
                break
            if at <= moment:
                orders += 1
                revenue += total
        viewers = _count_since(self._stages["view"], since)
        buyers = _count_since(self._stages["order"], since)
        return Kpis(
            seconds=seconds,
            shoppers=_count_since(self._stages[_ACTIVE], since),
            orders=orders,
            revenue=round(revenue, 2),
            buyers=buyers,
            conversion=round(buyers / viewers, 4) if viewers else None,
        )


def _touch(seen: dict[CustomerId, float], customer_id: CustomerId, moment: float) -> None:
    """Record ``moment`` as the customer's latest, keeping ``seen`` ordered by time."""
    previous = seen.pop(customer_id, None)
    seen[customer_id] = moment if previous is None else max(previous, moment)


def _count_since(seen: dict[CustomerId, float], since: float) -> int:
    count = 0
    for moment in reversed(seen.values()):
        if moment < since:
            break
        count += 1
    return count
