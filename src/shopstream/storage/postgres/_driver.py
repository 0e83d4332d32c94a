"""The lazily imported ``psycopg`` driver, and connections that use one schema."""

from __future__ import annotations

import re
from types import ModuleType
from typing import TYPE_CHECKING

from shopstream.storage.redis._driver import MissingDependencyError

if TYPE_CHECKING:
    import psycopg

_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def require_psycopg() -> ModuleType:
    """``psycopg``, imported on first use; an error naming the extra if it is missing."""
    try:
        import psycopg  # lazily, on purpose (STYLE.md rule 5)
    except ImportError as exc:
        msg = "the PostgreSQL backend needs psycopg: pip install 'shopstream[postgres]'"
        raise MissingDependencyError(msg) from exc
    return psycopg


def check_schema(schema: str) -> str:
    """``schema`` if it is a plain lower-case identifier (it is spliced into SQL)."""
    if not _SCHEMA_NAME.match(schema):
        msg = f"schema must match {_SCHEMA_NAME.pattern}; got {schema!r}"
        raise ValueError(msg)
    return schema


def connect(url: str, schema: str, *, autocommit: bool = False) -> psycopg.Connection:
    """A connection whose ``search_path`` is ``schema`` (created by the migrations)."""
    driver = require_psycopg()
    conn: psycopg.Connection = driver.connect(
        url,
        autocommit=autocommit,
        options=f"-c search_path={check_schema(schema)}",
        connect_timeout=5,
        application_name=f"shopstream {schema}",  # operators see whose connections these are
    )
    return conn


async def connect_async(url: str, schema: str) -> psycopg.AsyncConnection:
    """As :func:`connect`, for asyncio code (autocommit off)."""
    driver = require_psycopg()
    conn: psycopg.AsyncConnection = await driver.AsyncConnection.connect(
        url,
        options=f"-c search_path={check_schema(schema)}",
        connect_timeout=5,
        application_name=f"shopstream {schema}",
    )
    return conn
