"""Exposures and outcomes joined per canonical customer, across channels.

Touches come from three places: answers served on request (recommendations and decisions,
:class:`~shopstream.measure.Exposure`), messages the deliverer sent or delivered (one touch
per activation, whatever its retries), and clicks on what was sent or shown (an email link,
a push opened, an ad or a promotion clicked; an email opened only repeats its message and
is no touch of its own). Conversions are completed orders, each order id counted once per
customer (the web and the till may both report it).

Customer ids are resolved at report time by ``resolve``: an event recorded under the id a
shopper had before they identified (or before two profiles merged) joins their journey now.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from shopstream.core import CustomerId
from shopstream.measure.attribution import Conversion, Journey, Touch
from shopstream.measure.exposures import Exposure
from shopstream.measure.outcomes import CLICKS, ORDER, MeasuredEvent


@dataclass(frozen=True, slots=True)
class CustomerTouch:
    customer_id: CustomerId
    touch: Touch


TRIGGERED = "trigger:"
"""Placement prefix of the exposures decide logs for triggered activations: those touches
count when the deliverer sends them (a held-out or undeliverable one touched nobody)."""


def served_touches(exposures: Iterable[Exposure]) -> list[CustomerTouch]:
    """A touch per answer served on request: its channel and placement (offer ``""``)."""
    return [CustomerTouch(e.customer_id, Touch(e.channel, e.placement, "", e.at))
            for e in exposures if not e.placement.startswith(TRIGGERED)]  # fmt: skip


def click_touches(events: Iterable[MeasuredEvent]) -> list[CustomerTouch]:
    """A touch per click on something sent or shown (placement: the event's channel)."""
    return [
        CustomerTouch(e.customer_id, Touch(e.channel, e.channel, e.offer_id, e.at, e.trigger_id))
        for e in events
        if e.event in CLICKS
    ]


def join(
    touches: Iterable[CustomerTouch],
    events: Iterable[MeasuredEvent],
    resolve: Callable[[CustomerId], CustomerId] = lambda customer_id: customer_id,
) -> list[Journey]:
    """Each customer's touches and orders (see the module docstring), by canonical id.

    Examples:
        >>> from datetime import datetime
        >>> from shopstream.core import Offset
        >>> t = datetime(2026, 3, 1)
        >>> touch = CustomerTouch(CustomerId("anon"), Touch("email", "email", "10off", t))
        >>> order = MeasuredEvent(Offset(7), CustomerId("c1"), "Order Completed", "web", t,
        ...                       revenue=40.0, order_id="o1")
        >>> [j.customer_id for j in join([touch], [order], {"anon": "c1"}.get)]
        ['c1']
    """
    by_customer: dict[CustomerId, list[Touch]] = defaultdict(list)
    orders: dict[CustomerId, dict[str, Conversion]] = defaultdict(dict)
    for item in touches:
        by_customer[_resolved(resolve, item.customer_id)].append(item.touch)
    events = list(events)
    for item in click_touches(events):
        by_customer[_resolved(resolve, item.customer_id)].append(item.touch)
    for event in events:
        if event.event == ORDER:
            customer = _resolved(resolve, event.customer_id)
            order_id = event.order_id or f"offset-{event.offset}"
            orders[customer].setdefault(order_id, Conversion(event.at, event.revenue))
    customers = sorted(set(by_customer) | set(orders))
    return [
        Journey(c, sorted(by_customer.get(c, []), key=lambda t: t.at),
                sorted(orders.get(c, {}).values(), key=lambda o: o.at))
        for c in customers
    ]  # fmt: skip


def _resolved(
    resolve: Callable[[CustomerId], CustomerId | None], customer_id: CustomerId
) -> CustomerId:
    return resolve(customer_id) or customer_id
