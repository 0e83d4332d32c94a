"""Experiments over HTTP (server or admin key): the definitions and their results."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request

from shopstream.api.admin import require
from shopstream.api.auth import Scope
from shopstream.api.errors import ProblemError
from shopstream.api.responses import JSON
from shopstream.core import utcnow
from shopstream.engine import Engine
from shopstream.experimenting import results as experiment_results

router = APIRouter(prefix="/v1/experiments", tags=["experiments"])


@router.get("")
async def experiments(request: Request) -> JSON:
    """The experiments of ``experiments.yaml`` as they are now."""
    require(request, Scope.SERVER)
    engine: Engine = request.app.state.engine
    book = engine.experiments.current()
    return JSON({"experiments": [spec.model_dump(mode="json") for spec in book.experiments]})


@router.get("/{experiment_id}/results")
async def results(
    request: Request,
    experiment_id: str,
    at: Annotated[datetime | None, Query(description="ISO-8601; default: now")] = None,
) -> JSON:
    """Per arm: customers exposed, conversion rate, revenue per customer, average order
    value, attach rate; each arm against the control by z-test, Welch, CUPED and the mSPRT
    always-valid p-value; and the sample-ratio-mismatch check."""
    require(request, Scope.SERVER)
    engine: Engine = request.app.state.engine
    spec = engine.experiments.current().by_id().get(experiment_id)
    if spec is None:
        msg = f"no experiment {experiment_id!r} in experiments.yaml"
        raise ProblemError(404, "measure.unknown-experiment", msg, field="experimentId")
    now = utcnow() if at is None else (at.replace(tzinfo=UTC) if at.tzinfo is None else at)
    return JSON(await asyncio.to_thread(experiment_results, engine, spec, now))
