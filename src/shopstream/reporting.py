"""Measure's reports over a live engine: what it served, what the deliverer sent, and the
outcomes of the stream, joined per canonical customer (see :mod:`shopstream.measure`)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shopstream.core import CustomerId
from shopstream.deliver import DeliveryOutcome, OutcomeStatus
from shopstream.identity import IdentityGraph, canonical_id
from shopstream.measure import (
    AttributionModel,
    CustomerTouch,
    Journey,
    MeasuredEvent,
    Touch,
    attribute,
    attribution_report,
    channel_report,
    funnel_report,
    join,
    served_touches,
)

if TYPE_CHECKING:
    from shopstream.engine import Engine

_PAGE = 5000
_REACHED = (OutcomeStatus.SENT, OutcomeStatus.DELIVERED)


def resolver(graph: IdentityGraph) -> Callable[[CustomerId], CustomerId]:
    """Maps any id a customer has had (the id of each of their identifiers, as it would be
    were that identifier their highest) to the customer's id now."""
    mapping: dict[CustomerId, CustomerId] = {}
    for customer_id, identifiers in graph.partition().items():
        mapping[customer_id] = customer_id
        for identifier in identifiers:
            mapping.setdefault(canonical_id(identifier), customer_id)
    return lambda customer_id: mapping.get(customer_id, customer_id)


def delivery_touches(outcomes: Iterable[DeliveryOutcome]) -> list[CustomerTouch]:
    """One touch per activation sent or delivered (its first success), placed on its channel."""
    seen: set[str] = set()
    touches = []
    for o in outcomes:
        if o.status in _REACHED and o.key not in seen:
            seen.add(o.key)
            touch = Touch(o.channel, o.channel, o.offer_id or "", o.at, o.trigger_id)
            touches.append(CustomerTouch(o.customer_id, touch))
    return touches


@dataclass(frozen=True, slots=True)
class Window:
    """Conversions in ``[start, end)``, credited to touches up to ``lookback`` before them."""

    start: datetime
    end: datetime
    lookback: timedelta


@dataclass(frozen=True, slots=True)
class _Gathered:
    touches: list[CustomerTouch]  # every touch: messages sent and answers served
    served: list[CustomerTouch]  # the answers served on request alone
    events: list[MeasuredEvent]
    deliveries: list[DeliveryOutcome]


class Reports:
    """Reads what a window needs from the engine and hands it to measure."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _deliveries(self, start: datetime, end: datetime) -> list[DeliveryOutcome]:
        found, after = [], 0
        while True:
            page = self._engine.outbox.outcomes(after=after, limit=_PAGE)
            found += [o for o in page if start <= o.at < end]
            if len(page) < _PAGE:
                return found
            after = page[-1].id

    def _gather(self, window: Window) -> _Gathered:
        first = window.start - window.lookback
        deliveries = self._deliveries(first, window.end)
        exposures = self._engine.exposures
        served = served_touches(exposures.between(first, window.end)) if exposures else []
        events = list(self._engine.outcomes.between(first, window.end))
        return _Gathered(delivery_touches(deliveries) + served, served, events, deliveries)

    def attribution(self, window: Window, model: AttributionModel) -> dict[str, Any]:
        found = self._gather(window)
        resolve = resolver(self._engine.graph)
        journeys = _conversions_in(join(found.touches, found.events, resolve), window)
        return {**_window(window), **attribution_report(journeys, model, window.lookback)}

    def channels(self, window: Window, model: AttributionModel) -> dict[str, Any]:
        found = self._gather(window)
        resolve = resolver(self._engine.graph)
        journeys = _conversions_in(join(found.touches, found.events, resolve), window)
        inside = [e for e in found.events if window.start <= e.at < window.end]
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for o in found.deliveries:
            if window.start <= o.at < window.end:
                counts[o.channel][str(o.status)] += 1
        served = Counter(t.touch.channel for t in found.served
                         if window.start <= t.touch.at < window.end)  # fmt: skip
        credit = attribute(journeys, model, lookback=window.lookback)
        return {**_window(window), "channels": channel_report(counts, served, inside, credit)}

    def funnel(self, window: Window) -> dict[str, Any]:
        events = self._engine.outcomes.between(window.start, window.end)
        return {**_window(window), **funnel_report(events, resolver(self._engine.graph))}


def _conversions_in(journeys: list[Journey], window: Window) -> list[Journey]:
    return [
        Journey(j.customer_id, j.touches,
                [c for c in j.conversions if window.start <= c.at < window.end])
        for j in journeys
    ]  # fmt: skip


def _window(window: Window) -> dict[str, Any]:
    return {"start": window.start, "end": window.end,
            "lookbackDays": window.lookback.total_seconds() / 86400}  # fmt: skip
