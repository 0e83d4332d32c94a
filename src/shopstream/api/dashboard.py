"""The marketers' dashboard data: live rates, the funnel, KPIs and what is rising.

Admin only: an admin key as ``Authorization: Bearer``, or the dashboard's admin cookie.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from shopstream.api.responses import JSON
from shopstream.api.sessions import require_admin
from shopstream.campaigns import overview
from shopstream.core import ProductId, utcnow
from shopstream.engine import Engine
from shopstream.trends import TrendKind, Window

router = APIRouter(prefix="/v1", tags=["dashboard"])

_WINDOWS = {"1h": Window.HOUR, "1d": Window.DAY}
_CAMPAIGN_WINDOWS = {**_WINDOWS, "7d": Window.WEEK}


@router.get("/dashboard")
async def dashboard(
    request: Request,
    window: Literal["1h", "1d"] = "1h",
    seconds: Annotated[int, Query(ge=10, le=300)] = 120,
) -> JSON:
    """Everything the dashboard shows, as of now.

    ``rates``: events per second by channel over the last ``seconds``; ``funnel`` and
    ``kpis`` over ``window`` (arrival time); ``rising``: products and search terms counted
    significantly faster in ``window`` than over the week before (``emerging``), or, while
    none is, the most counted in ``window`` (``top``).
    """
    require_admin(request)
    engine: Engine = request.app.state.engine
    now = utcnow()
    span = _WINDOWS[window]
    rates = engine.activity.rates(now, seconds)
    recent = rates.total[-10:]
    kpis = engine.activity.kpis(now, span.seconds)
    return JSON(
        {
            "at": now,
            "window": window,
            "rates": {"start": rates.start, "channels": rates.channels, "total": rates.total},
            "eventsPerSecond": round(sum(recent) / max(1, len(recent)), 2),
            "funnel": [
                {"stage": s.stage, "event": s.event, "shoppers": s.shoppers}
                for s in engine.activity.funnel(now, span.seconds)
            ],
            "kpis": {
                "orders": kpis.orders,
                "revenue": kpis.revenue,
                "shoppers": kpis.shoppers,
                "buyers": kpis.buyers,
                "conversion": kpis.conversion,
            },
            "rising": {
                "products": _rising(engine, TrendKind.PRODUCT, span),
                "searches": _rising(engine, TrendKind.SEARCH, span),
            },
        }
    )


@router.get("/dashboard/campaigns")
async def campaigns(request: Request, window: Literal["1h", "1d", "7d"] = "1d") -> JSON:
    """Triggers (fired, blocked by reason, activations by outbox status), offers (budget
    spent, sends, attributed conversions and revenue), experiments' results and attribution
    by channel; conversions in ``window`` credited by last touch (see
    :mod:`shopstream.campaigns`)."""
    require_admin(request)
    engine: Engine = request.app.state.engine
    span = timedelta(seconds=_CAMPAIGN_WINDOWS[window].seconds)
    data = await asyncio.to_thread(overview, engine, utcnow(), span)
    return JSON({"window": window, **data})


def _rising(engine: Engine, kind: TrendKind, span: Window) -> dict[str, Any]:
    now = utcnow()
    emerging = engine.trends.emerging(kind, now, short=span, baseline=Window.WEEK, k=10)
    if emerging:
        items = [{"key": e.key, "count": e.count, "lift": round(e.lift, 2)} for e in emerging]
        how = "emerging"
    else:
        items = [
            {"key": r.key, "count": r.count, "lift": None}
            for r in engine.trends.top(kind, span, now, 10)
        ]
        how = "top"
    if kind is TrendKind.PRODUCT:
        for item in items:
            product = engine.catalog.product(ProductId(item["key"]))
            item["name"] = product.name if product else item["key"]
    return {"kind": how, "since": now - timedelta(seconds=span.seconds), "items": items}
