"""Fixtures of the web apps' tests: an in-process app in demo mode with a catalogue."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from shopstream import Engine, Settings
from shopstream.api import KeyRing, create_app
from shopstream.simulate import Catalogue, generate_catalogue
from shopstream.testing.web import (
    ADMIN_KEY,
    SERVER_KEY,
    WRITE_KEY,
    catalogue_bodies,
    write_associates,
)


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return generate_catalogue(seed=7, products=300, stores=3)


@pytest.fixture
def web_settings(tmp_path: Path, settings: Settings) -> Settings:
    """Demo mode, with associates, on the backend of the root ``settings`` fixture."""
    web = {
        "data_dir": tmp_path / "data",
        "write_keys": [f"test:{WRITE_KEY}"],
        "server_keys": [SERVER_KEY],
        "admin_keys": [ADMIN_KEY],
        "associates_file": write_associates(tmp_path / "associates.yaml"),
        "demo": True,
    }
    return settings.model_copy(update=web)


@pytest.fixture
async def web_app(web_settings: Settings, catalogue: Catalogue) -> AsyncIterator[FastAPI]:
    """An in-process app in demo mode, running, with the simulator's catalogue loaded."""
    engine = Engine.from_settings(web_settings)
    keys, _ = KeyRing.from_settings(web_settings)
    app = create_app(engine, keys)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://shopstream.test"
        ) as http:
            admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
            for path, body in catalogue_bodies(catalogue).items():
                response = await http.put(path, json=body, headers=admin)
                assert response.status_code == 200, response.text
        yield app


@pytest.fixture
async def web(web_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of :func:`web_app` (with its own cookie jar)."""
    transport = httpx.ASGITransport(app=web_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://shopstream.test") as http:
        yield http
