"""Experiments over HTTP: the definitions (server key to read, admin key to replace) and
their results (server key)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request

from shopstream.api.admin import require
from shopstream.api.auth import Scope
from shopstream.api.body import read_yaml_text
from shopstream.api.errors import ProblemError
from shopstream.api.responses import JSON
from shopstream.core import InvalidConfigFile, utcnow
from shopstream.engine import Engine
from shopstream.experimenting import results as experiment_results
from shopstream.measure.experiment_config import ExperimentsFile

router = APIRouter(prefix="/v1/experiments", tags=["experiments"])


_MAX_BYTES = 512 * 1024


@router.get("")
async def experiments(request: Request) -> JSON:
    """The experiments as they are now (``experiments.yaml``; PostgreSQL's on scale-out)."""
    require(request, Scope.SERVER)
    engine: Engine = request.app.state.engine
    return _listed(engine.experiments.current())


@router.put("")
async def replace(request: Request) -> JSON:
    """Replace every definition with the body, ``experiments.yaml``'s YAML; 400 names the
    line and field. On scale-out every API process has it within about a second."""
    require(request, Scope.ADMIN)
    engine: Engine = request.app.state.engine
    text = await read_yaml_text(
        request, _MAX_BYTES, what="experiments",
        too_large="measure.experiments-too-large", invalid="config.invalid",
    )  # fmt: skip
    try:
        book = await asyncio.to_thread(engine.experiments.replace, text)
    except InvalidConfigFile as exc:
        raise ProblemError(400, exc.code, exc.message, field=exc.field) from None
    return _listed(book)


def _listed(book: ExperimentsFile) -> JSON:
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
        msg = f"no experiment {experiment_id!r} in {engine.experiments.store.where}"
        raise ProblemError(404, "measure.unknown-experiment", msg, field="experimentId")
    now = utcnow() if at is None else (at.replace(tzinfo=UTC) if at.tzinfo is None else at)
    return JSON(await asyncio.to_thread(experiment_results, engine, spec, now))
