"""The FastAPI application: thin routers over one ``Engine``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from shopstream import __version__
from shopstream.api import admin, catalog, collect, errors, health, identity, profiles
from shopstream.api.auth import KeyRing
from shopstream.api.metrics import ApiMetrics
from shopstream.engine import Engine


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
    app.state.metrics = ApiMetrics()
    errors.install(app)
    app.include_router(collect.router)
    app.include_router(admin.router)
    app.include_router(profiles.router)
    app.include_router(catalog.router)
    app.include_router(identity.router)
    app.include_router(health.router)
    return app
