"""Measure's reports over HTTP (server or admin key): attribution, the funnel, channel KPIs.

Every report covers conversions in ``[start, end)`` (ISO-8601; default: the 30 days before
now) and credits them to touches up to ``lookbackDays`` before each.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from shopstream.api.admin import require
from shopstream.api.auth import Scope
from shopstream.api.errors import ProblemError
from shopstream.api.responses import JSON
from shopstream.core import utcnow
from shopstream.engine import Engine
from shopstream.measure import AttributionModel, model_named
from shopstream.reporting import Reports, Window

router = APIRouter(prefix="/v1/reports", tags=["reports"])
_DEFAULT_DAYS = 30


class Model(StrEnum):
    LAST = "last"
    FIRST = "first"
    LINEAR = "linear"
    TIME_DECAY = "time_decay"
    POSITION = "position"


Start = Annotated[datetime | None, Query(description="ISO-8601; default: 30 days before end")]
End = Annotated[datetime | None, Query(description="ISO-8601, exclusive; default: now")]
Lookback = Annotated[float, Query(alias="lookbackDays", gt=0, le=365)]
HalfLife = Annotated[float, Query(alias="halfLifeHours", gt=0, le=24 * 365)]
Share = Annotated[float, Query(ge=0, le=1)]


def _window(start: datetime | None, end: datetime | None, lookback_days: float) -> Window:
    end = _utc(end) if end is not None else utcnow()
    start = _utc(start) if start is not None else end - timedelta(days=_DEFAULT_DAYS)
    if start >= end:
        msg = f"end must be after start; got start={start.isoformat()}, end={end.isoformat()}"
        raise ProblemError(400, "request.invalid", msg, field="query.end")
    return Window(start, end, timedelta(days=lookback_days))


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _model(model: Model, half_life_hours: float, first: float, last: float) -> AttributionModel:
    if model is Model.POSITION and first + last > 1:
        msg = f"first + last must be at most 1; got {first} + {last}"
        raise ProblemError(400, "request.invalid", msg, field="query.last")
    return model_named(model.value, half_life=timedelta(hours=half_life_hours), first=first,
                       last=last)  # fmt: skip


def _reports(request: Request) -> Reports:
    require(request, Scope.SERVER)
    engine: Engine = request.app.state.engine
    return Reports(engine)


@dataclass(frozen=True, slots=True)
class _Attributed:
    """What an attribution report is asked: the engine's reports, the window and the model."""

    reports: Reports
    window: Window
    model: Model
    chosen: AttributionModel


def _attributed(
    request: Request,
    start: Start = None,
    end: End = None,
    model: Model = Model.LAST,
    lookback_days: Lookback = 7.0,
    half_life_hours: HalfLife = 24.0,
    first: Share = 0.4,
    last: Share = 0.4,
) -> _Attributed:
    reports = _reports(request)  # the key first: no parameter check for a stranger
    window = _window(start, end, lookback_days)
    return _Attributed(reports, window, model, _model(model, half_life_hours, first, last))


Attributed = Annotated[_Attributed, Depends(_attributed)]


@router.get("/attribution")
async def attribution(asked: Attributed) -> JSON:
    """Orders and revenue credited to channels, placements, triggers and offers by ``model``."""
    report = await asyncio.to_thread(asked.reports.attribution, asked.window, asked.chosen)
    return JSON({"model": asked.model.value, **report})


@router.get("/channels")
async def channels(asked: Attributed) -> JSON:
    """Per channel: served, sent, delivered, failed, dead, opens, clicks, orders, and the
    conversions and revenue attributed to it by ``model``."""
    report = await asyncio.to_thread(asked.reports.channels, asked.window, asked.chosen)
    return JSON({"model": asked.model.value, **report})


@router.get("/funnel")
async def funnel(request: Request, start: Start = None, end: End = None) -> JSON:
    """Customers reaching view, cart, checkout and order, in that order, and each step's rate."""
    reports = _reports(request)
    window = _window(start, end, 1.0)
    report = await asyncio.to_thread(reports.funnel, window)
    report.pop("lookbackDays")
    return JSON(report)
