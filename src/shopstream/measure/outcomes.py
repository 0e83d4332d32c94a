"""Outcomes and engagement as measure keeps them: one :class:`MeasuredEvent` per event that
counts for attribution, the funnel or experiments.

:func:`measured_event` picks them from the processed stream: the funnel's events
(``Product Viewed``, ``Product Added``, ``Checkout Started``, ``Order Completed``, with the
order's revenue) and engagement with what was sent (``Email Opened``, ``Email Link
Clicked``, ``Push Opened``, ``Ad Clicked``, ``Promotion Viewed``/``Clicked``), with the
``trigger_id``, ``offer_id`` and activation ``key`` their properties carry (put them in
the links and payloads you send). Each is keyed by its log offset, so a replay after a
crash writes nothing twice.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from shopstream.core import CustomerId, Offset
from shopstream.events import EventName, Message

ORDER = str(EventName.ORDER_COMPLETED)
CART = str(EventName.PRODUCT_ADDED)
FUNNEL_EVENTS = frozenset(
    str(e) for e in (EventName.PRODUCT_VIEWED, EventName.PRODUCT_ADDED,
                     EventName.CHECKOUT_STARTED, EventName.ORDER_COMPLETED)
)  # fmt: skip
# Engagement with something sent or shown, and the channel it happened on.
ENGAGEMENT: Mapping[str, str] = {
    str(EventName.EMAIL_OPENED): "email",
    str(EventName.EMAIL_LINK_CLICKED): "email",
    str(EventName.PUSH_OPENED): "push",
    str(EventName.AD_CLICKED): "ads",
    str(EventName.PROMOTION_VIEWED): "",
    str(EventName.PROMOTION_CLICKED): "",
}
# Engagement that is a touch of its own for attribution (an open only repeats its message).
CLICKS = frozenset(
    str(e) for e in (EventName.EMAIL_LINK_CLICKED, EventName.PUSH_OPENED,
                     EventName.AD_CLICKED, EventName.PROMOTION_CLICKED)
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class MeasuredEvent:
    """One outcome or engagement of ``customer_id`` (as resolved when it was processed)."""

    offset: Offset
    customer_id: CustomerId
    event: str
    channel: str
    at: datetime
    revenue: float = 0.0
    order_id: str = ""
    trigger_id: str = ""
    offer_id: str = ""
    key: str = ""
    quantity: int = 0


def measured_event(
    offset: Offset, message: Message, customer_id: CustomerId | None
) -> MeasuredEvent | None:
    """The measured form of a processed event; ``None`` for events measure ignores."""
    if customer_id is None or message.type != "track":
        return None
    event = message.event  # type: ignore[union-attr]
    if event not in FUNNEL_EVENTS and event not in ENGAGEMENT:
        return None
    at = message.timestamp or message.received_at
    if at is None:
        return None
    props: Mapping[str, Any] = message.properties  # type: ignore[union-attr]
    channel = ENGAGEMENT.get(event) or str(message.channel or "")
    revenue, quantity = (order_value(props), _quantity(props)) if event == ORDER else (0.0, 0)
    return MeasuredEvent(
        offset, customer_id, event, channel, at, revenue,
        str(props.get("order_id") or ""), _text(props, "trigger_id"),
        _text(props, "offer_id") or _text(props, "promotion_id") or _text(props, "coupon"),
        _text(props, "key"), quantity,
    )  # fmt: skip


def order_value(props: Mapping[str, Any]) -> float:
    """An order's revenue: ``total``, else ``revenue``, else the sum of its lines."""
    for name in ("total", "revenue"):
        value = props.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    total = 0.0
    for line in props.get("products") or ():
        if isinstance(line, Mapping):
            price = line.get("price") or 0.0
            quantity = line.get("quantity") or 1
            if isinstance(price, int | float) and isinstance(quantity, int | float):
                total += float(price) * float(quantity)
    return total


def _quantity(props: Mapping[str, Any]) -> int:
    lines = [line for line in props.get("products") or () if isinstance(line, Mapping)]
    return sum(int(q) if isinstance(q := line.get("quantity", 1), int | float) else 1
               for line in lines)  # fmt: skip


def _text(props: Mapping[str, Any], name: str) -> str:
    value = props.get(name)
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""


class OutcomeLog(Protocol):
    """Where measured events go. ``record`` only queues (it is on the stream's path)."""

    def record(self, event: MeasuredEvent) -> None: ...

    def flush(self) -> None: ...

    def between(self, start: datetime, end: datetime) -> Sequence[MeasuredEvent]:
        """Events with ``start <= at < end``, oldest first."""
        ...


class MemoryOutcomeLog:
    """:class:`OutcomeLog` in memory; an offset already held is ignored."""

    def __init__(self) -> None:
        self._events: dict[Offset, MeasuredEvent] = {}
        self._lock = threading.Lock()

    def record(self, event: MeasuredEvent) -> None:
        with self._lock:
            self._events.setdefault(event.offset, event)

    def flush(self) -> None:
        pass

    def between(self, start: datetime, end: datetime) -> Sequence[MeasuredEvent]:
        with self._lock:
            found = [e for e in self._events.values() if start <= e.at < end]
        return sorted(found, key=lambda e: (e.at, e.offset))
