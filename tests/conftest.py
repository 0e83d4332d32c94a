"""Fixtures shared by every test: an in-process app, and a real server on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from shopstream import Engine, Settings
from shopstream.api import KeyRing, create_app
from shopstream.testing import ServerProcess

WRITE_KEY = "wk_test"
SERVER_KEY = "sk_test"
ADMIN_KEY = "ak_test"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        write_keys=[f"test:{WRITE_KEY}"],
        server_keys=[SERVER_KEY],
        admin_keys=[ADMIN_KEY],
    )


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to an in-process app on a fresh embedded engine."""
    engine = Engine.from_settings(settings)
    keys, _ = KeyRing.from_settings(settings)
    app = create_app(engine, keys)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://shopstream.test") as http,
    ):
        yield http


@pytest.fixture
def admin() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_KEY}"}


@pytest.fixture
def writer() -> tuple[str, str]:
    """HTTP Basic credentials as Segment's SDKs send them: the write key as user name."""
    return (WRITE_KEY, "")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A real ``shopstream serve`` process on a free loopback port."""
    with ServerProcess(tmp_path / "server-data") as running:
        yield running
