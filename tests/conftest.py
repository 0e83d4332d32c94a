"""Fixtures shared by every test: an in-process app, and a real server on loopback.

Both run on the embedded backend unless a test module asks for both backends with
``pytest.mark.parametrize("backend", ["embedded", "scaleout"], indirect=True)``: then the
scale-out run uses the real Redis and PostgreSQL under a fresh key prefix and schema. The
``collectors`` backend is the embedded one collecting in two collector processes
(``shopstream.log.remote``), as ``shopstream serve`` does by default on two CPUs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from shopstream import Engine, Settings
from shopstream.api import KeyRing, create_app
from shopstream.testing import (
    POSTGRES_URL,
    REDIS_URL,
    Namespace,
    ServerProcess,
    scaled_out,
    scaleout_namespace,
)

WRITE_KEY = "wk_test"
SERVER_KEY = "sk_test"
ADMIN_KEY = "ak_test"


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """``embedded`` (the default), ``collectors`` (embedded, collecting in two collector
    processes as ``shopstream serve`` does on two CPUs) or ``scaleout`` (Redis + PostgreSQL)."""
    return str(getattr(request, "param", "embedded"))


@pytest.fixture
def scaleout(backend: str) -> Iterator[Namespace | None]:
    """The scale-out run's key prefix and schema (``None`` on the embedded backend)."""
    if backend != "scaleout":
        yield None
        return
    with scaleout_namespace() as namespace:
        yield namespace


@pytest.fixture
def settings(tmp_path: Path, backend: str, scaleout: Namespace | None) -> Settings:
    stores = (
        {}
        if scaleout is None
        else {"redis_url": REDIS_URL, "postgres_url": POSTGRES_URL, "partitions": 4,
              "redis_prefix": scaleout.prefix, "postgres_schema": scaleout.schema}
    )  # fmt: skip
    return Settings(
        data_dir=tmp_path / "data",
        collectors=2 if backend == "collectors" else 0,
        write_keys=[f"test:{WRITE_KEY}"],
        server_keys=[SERVER_KEY],
        admin_keys=[ADMIN_KEY],
        **stores,
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
def server(tmp_path: Path, backend: str, scaleout: Namespace | None) -> Iterator[ServerProcess]:
    """A real ``shopstream serve`` process on a free loopback port."""
    process = ServerProcess(tmp_path / "server-data")
    process.extra_args += ["--collectors", "2" if backend == "collectors" else "0"]
    if scaleout is not None:
        scaled_out(process, scaleout)
    with process as running:
        yield running
