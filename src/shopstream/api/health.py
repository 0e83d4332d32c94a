"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response

from shopstream.api.responses import JSON

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> JSON:
    """The process is up."""
    return JSON({"status": "ok"})


@router.get("/readyz")
async def readyz(request: Request) -> JSON:
    """The engine can take events now (503 otherwise, with the reason)."""
    await request.app.state.engine.ready()
    return JSON({"status": "ready"})


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    return Response(
        generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )
