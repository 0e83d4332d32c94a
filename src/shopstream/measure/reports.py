"""Reports over joined journeys: attribution by channel, placement, trigger and offer;
channel KPIs; the funnel. Plain dicts (camelCase, as on the wire) with rounded figures."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from shopstream.measure.attribution import (
    Attribution,
    AttributionModel,
    Credit,
    FirstTouch,
    Journey,
    LastTouch,
    Linear,
    PositionBased,
    TimeDecay,
    attribute,
)
from shopstream.measure.errors import InvalidMeasureInput
from shopstream.measure.funnel import FunnelEvent, funnel
from shopstream.measure.outcomes import FUNNEL_EVENTS, ORDER, MeasuredEvent

MODELS = ("last", "first", "linear", "time_decay", "position")
NONE = "(none)"


def model_named(
    name: str, *, half_life: timedelta = timedelta(days=1), first: float = 0.4, last: float = 0.4
) -> AttributionModel:
    """The attribution model called ``name`` (one of :data:`MODELS`)."""
    if name == "last":
        return LastTouch()
    if name == "first":
        return FirstTouch()
    if name == "linear":
        return Linear()
    if name == "time_decay":
        return TimeDecay(half_life)
    if name == "position":
        return PositionBased(first, last)
    msg = f"model must be one of {', '.join(MODELS)}; got {name!r}"
    raise InvalidMeasureInput(msg, field="model")


def _rows(credits: Mapping[str, Credit], name: str) -> list[dict[str, Any]]:
    rows = [{name: key or NONE, "conversions": round(c.conversions, 6),
             "revenue": round(c.revenue, 2)} for key, c in credits.items()]  # fmt: skip
    return sorted(rows, key=lambda r: (-r["revenue"], -r["conversions"], r[name]))


def attribution_report(
    journeys: Sequence[Journey], model: AttributionModel, lookback: timedelta
) -> dict[str, Any]:
    """Conversions and revenue credited to each channel, placement, trigger and offer."""
    result: Attribution = attribute(journeys, model, lookback=lookback)
    orders = [c for j in journeys for c in j.conversions]
    return {
        "customers": len(journeys),
        "conversions": len(orders),
        "revenue": round(sum(c.revenue for c in orders), 2),
        "unattributed": {
            "conversions": round(result.unattributed.conversions, 6),
            "revenue": round(result.unattributed.revenue, 2),
        },
        "byChannel": _rows(result.by_channel, "channel"),
        "byPlacement": _rows(result.by_placement, "placement"),
        "byTrigger": _rows(result.by_trigger, "trigger"),
        "byOffer": _rows(result.by_offer, "offer"),
    }


def channel_report(
    deliveries: Mapping[str, Counter[str]],
    served: Mapping[str, int],
    events: Iterable[MeasuredEvent],
    attribution: Attribution,
) -> list[dict[str, Any]]:
    """Per channel: answers served, messages sent/delivered/failed/dead, opens and clicks,
    orders placed on it, and the conversions and revenue attribution credits it with.

    ``deliveries`` counts delivery outcomes by channel and status; ``served`` counts answers
    served by channel.
    """
    opens: Counter[str] = Counter()
    clicks: Counter[str] = Counter()
    orders: Counter[str] = Counter()
    revenue: Counter[str] = Counter()
    orders_seen: set[str] = set()
    for event in events:
        if event.event.endswith("Opened") and event.event != "Push Opened":
            opens[event.channel] += 1
        elif event.event.endswith(("Clicked", "Push Opened")):
            clicks[event.channel] += 1
        elif event.event == ORDER:
            order_id = event.order_id or f"offset-{event.offset}"
            if order_id in orders_seen:  # the web and the till may both report an order
                continue
            orders_seen.add(order_id)
            orders[event.channel] += 1
            revenue[event.channel] += event.revenue
    names = sorted(set(deliveries) | set(served) | set(opens) | set(clicks) | set(orders)
                   | set(attribution.by_channel))  # fmt: skip
    rows = []
    for name in names:
        counts = deliveries.get(name, Counter())
        reached = counts["sent"] + counts["delivered"]
        credit = attribution.by_channel.get(name, Credit())
        rows.append({
            "channel": name or NONE,
            "served": served.get(name, 0),
            "sent": counts["sent"], "delivered": counts["delivered"],
            "failed": counts["failed"], "dead": counts["dead"],
            "opened": opens[name], "clicked": clicks[name],
            "openRate": round(opens[name] / reached, 6) if reached else None,
            "clickRate": round(clicks[name] / reached, 6) if reached else None,
            "orders": orders[name], "orderRevenue": round(revenue[name], 2),
            "attributedConversions": round(credit.conversions, 6),
            "attributedRevenue": round(credit.revenue, 2),
        })  # fmt: skip
    return rows


def funnel_report(
    events: Iterable[MeasuredEvent], resolve: Any = lambda customer_id: customer_id
) -> dict[str, Any]:
    """The ordered funnel (view -> cart -> checkout -> order) over canonical customers."""
    counts = funnel(
        FunnelEvent(resolve(e.customer_id) or e.customer_id, e.event, e.at)
        for e in events
        if e.event in FUNNEL_EVENTS
    )
    stages = list(counts.reached)
    return {
        "stages": [
            {
                "stage": stage,
                "customers": counts.reached[stage],
                "rate": None if i == 0 else counts.rate(stage),
            }
            for i, stage in enumerate(stages)
        ],
        "overall": (
            counts.reached["order"] / counts.reached["view"] if counts.reached["view"] else None
        ),
    }
