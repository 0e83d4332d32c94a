"""The FastAPI application: thin routers over one ``Engine``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from shopstream import __version__
from shopstream.api import (
    admin,
    associate,
    audit,
    bids,
    catalog,
    collect,
    dashboard,
    decide,
    decisions,
    deliveries,
    errors,
    experiments,
    health,
    identity,
    outbox,
    profiles,
    recommendations,
    reports,
    trends,
)
from shopstream.api.associates import Associates
from shopstream.api.auth import KeyRing
from shopstream.api.metrics import ApiMetrics
from shopstream.api.sessions import Signer
from shopstream.engine import Engine

logger = logging.getLogger(__name__)


def create_app(engine: Engine, keys: KeyRing) -> FastAPI:
    """An app serving ``engine``; it closes the engine when it shuts down."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await engine.start()
        try:
            yield
        finally:
            await engine.close()

    app = FastAPI(title="Shopstream", version=__version__, lifespan=lifespan)
    app.state.engine = engine
    app.state.keys = keys
    app.state.metrics = ApiMetrics(engine.dropped_writes.counts)
    # The web apps: the storefront is served only in demo mode (its pages embed keys).
    app.state.demo = engine.settings.demo
    app.state.signer = Signer.from_settings(engine.settings)
    app.state.associates = Associates.load(engine.settings.associates_file)
    errors.install(app)
    app.include_router(collect.router)
    app.include_router(admin.router)
    app.include_router(health.router)
    if engine.settings.role == "collect":
        return app
    app.include_router(profiles.router)
    app.include_router(catalog.router)
    app.include_router(identity.router)
    app.include_router(recommendations.router)
    app.include_router(trends.router)
    app.include_router(bids.router)
    app.include_router(decide.router)
    app.include_router(decisions.router)
    app.include_router(associate.router)
    app.include_router(audit.router)
    app.include_router(outbox.router)
    app.include_router(deliveries.router)
    app.include_router(reports.router)
    app.include_router(experiments.router)
    app.include_router(dashboard.router)
    _include_web(app)
    return app


def _include_web(app: FastAPI) -> None:
    """The pages of ``shopstream.web``, when its extra (Jinja2) is installed."""
    try:
        import jinja2  # noqa: F401
    except ImportError:
        logger.info("web pages off: install 'shopstream[web]' for the associate app and dashboard")
        return
    from shopstream.web import include

    include(app)
