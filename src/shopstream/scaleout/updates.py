"""What one event adds to the shared online state: values, computed once, applied atomically.

The scale-out workers keep, in a shared store, the part of the live state that adds up the
same whatever order partitions are processed in (STYLE.md rule 16): counts, sums, minimum
and maximum times, latest-wins traits keyed by ``(timestamp, offset)``, the most recent
views by time, cart quantities net of adds and removes, and an identity graph whose
clusters are the connected components of the identifiers seen together, named after their
highest-priority identifier (as the embedded graph names them). Co-visitation pairs are
counted per first identifier (a device, a user), whose events all lie in one partition and
are processed in log order. So any number of workers, in any interleaving, with any crash
and redelivery, reach the state one worker reaches replaying the log.

:func:`online_update` is the pure core: a message and its offset in, an :class:`OnlineUpdate`
out; a backend applies it (``storage/redis/online.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from shopstream.core import CustomerId, Offset
from shopstream.events import EventName, Message
from shopstream.identity.keys import customer_of_key, key_of

RECENT_VIEWS = 20
"""Recent views kept per customer (the most recent by event time)."""

COVISIT_WINDOW_MS = 30 * 60 * 1000
"""Two views of one shopper's device this close in time count as a co-visitation pair."""

_NOT_ABOUT_SHOPPERS = frozenset({EventName.INVENTORY_UPDATED, EventName.SIGNAL_RECEIVED})
_PRODUCT_COUNTERS = {
    EventName.PRODUCT_VIEWED: "views",
    EventName.PRODUCT_ADDED: "adds",
    EventName.ORDER_COMPLETED: "purchases",
}


@dataclass(frozen=True, slots=True)
class OnlineUpdate:
    """The writes of one event. ``identifiers`` are ``(graph key, customer id)`` pairs."""

    offset: Offset
    identifiers: tuple[tuple[str, CustomerId], ...]
    event: str
    at_ms: int
    message_id: str = ""
    channel: str | None = None
    orders: int = 0
    revenue_cents: int = 0
    traits: Mapping[str, str] = field(default_factory=dict)  # name -> JSON value
    views: tuple[str, ...] = ()
    cart: Mapping[str, int] = field(default_factory=dict)  # product -> quantity delta
    counters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # counter -> products

    @property
    def about_shopper(self) -> bool:
        return bool(self.identifiers)

    def to_wire(self) -> dict[str, Any]:
        """The compact JSON-able form a backend's script reads."""
        return {
            "o": int(self.offset),
            "m": self.message_id,
            "ids": [list(pair) for pair in self.identifiers],
            "e": self.event,
            "t": self.at_ms,
            "ch": self.channel or "",
            "ord": self.orders,
            "rev": self.revenue_cents,
            "tr": dict(self.traits),
            "v": list(self.views),
            "cart": dict(self.cart),
            "cnt": {name: list(products) for name, products in self.counters.items()},
        }


def online_update(offset: Offset, message: Message) -> OnlineUpdate:
    """The writes ``message`` (logged at ``offset``) makes to the online state."""
    stamp = message.timestamp or message.received_at
    at_ms = int(stamp.timestamp() * 1000) if stamp is not None else 0
    event = message.event if message.type == "track" else message.type  # type: ignore[union-attr]
    props: Mapping[str, Any] = getattr(message, "properties", {}) or {}
    counters: dict[str, tuple[str, ...]] = {}
    counter = _PRODUCT_COUNTERS.get(event) if message.type == "track" else None
    products = _products(props) if message.type == "track" else []
    if counter is not None and products:
        counters[counter] = tuple(pid for pid, _ in products)
    shopper = bool(message.identities) and not (
        message.type == "track" and event in _NOT_ABOUT_SHOPPERS
    )
    if not shopper:
        return OnlineUpdate(
            Offset(offset), (), str(event), at_ms, message.message_id or "", counters=counters
        )
    keys = sorted({key_of(i) for i in message.identities})
    # The first identifier leads: it chose the partition, and keys co-visitation.
    first = key_of(message.identities[0])
    ordered = [first, *(k for k in keys if k != first)]
    identifiers = tuple((k, customer_of_key(k)) for k in ordered)
    traits: dict[str, str] = {}
    for source in (message.context.get("traits"), getattr(message, "traits", None)):
        if isinstance(source, Mapping):
            for name, value in source.items():
                if isinstance(name, str) and name != "consent":
                    traits[name] = orjson.dumps(value).decode()
    orders = revenue = 0
    cart: dict[str, int] = {}
    if message.type == "track":
        if event == EventName.ORDER_COMPLETED:
            orders = 1
            total = props.get("total", props.get("revenue"))
            if isinstance(total, int | float) and not isinstance(total, bool):
                revenue = round(total * 100)
        sign = {EventName.PRODUCT_ADDED: 1, EventName.PRODUCT_REMOVED: -1}.get(event, 0)
        for pid, quantity in products if sign else []:
            cart[pid] = cart.get(pid, 0) + sign * quantity
    views = tuple(pid for pid, _ in products) if event == EventName.PRODUCT_VIEWED else ()
    return OnlineUpdate(
        Offset(offset), identifiers, str(event), at_ms, message.message_id or "",
        channel=str(message.channel) if message.channel else None,
        orders=orders, revenue_cents=revenue, traits=traits, views=views, cart=cart,
        counters=counters,
    )  # fmt: skip


def _products(props: Mapping[str, Any]) -> list[tuple[str, int]]:
    lines = props.get("products") if "product_id" not in props else [props]
    found = []
    for line in lines if isinstance(lines, list) else []:
        if not isinstance(line, Mapping):
            continue
        pid = line.get("product_id")
        if isinstance(pid, str | int) and not isinstance(pid, bool) and str(pid):
            quantity = line.get("quantity", 1)
            ok = isinstance(quantity, int) and not isinstance(quantity, bool) and quantity > 0
            found.append((str(pid), quantity if ok else 1))
    return found
