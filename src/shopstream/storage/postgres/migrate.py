"""Versioned migrations: the ``NNNN_name.sql`` files beside this module, applied in order.

Each file runs in one transaction together with its row in ``schema_migrations``, under a
transaction-scoped advisory lock, so many processes starting at once apply each migration
exactly once and a failed one leaves nothing half applied.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib import resources

from shopstream.core import stable_hash
from shopstream.storage.postgres._driver import check_schema, connect

logger = logging.getLogger(__name__)

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """Every migration shipped with this version, by version."""
    found = []
    for entry in resources.files("shopstream.storage.postgres.migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text()))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        msg = f"migrations must be numbered 0001, 0002, ... without gaps; found {versions}"
        raise RuntimeError(msg)
    return found


def migrate(url: str, schema: str = "shopstream") -> list[int]:
    """Create ``schema`` if needed and apply the migrations it lacks; the versions applied."""
    check_schema(schema)
    applied: list[int] = []
    with connect(url, schema) as conn:
        for migration in migrations():
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_id(schema),))
                conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    " version integer PRIMARY KEY, name text NOT NULL,"
                    " applied_at timestamptz NOT NULL DEFAULT now())"
                )
                done = conn.execute(
                    "SELECT 1 FROM schema_migrations WHERE version = %s", (migration.version,)
                ).fetchone()
                if done:
                    continue
                conn.execute(migration.sql.encode())
                conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                    (migration.version, migration.name),
                )
                applied.append(migration.version)
                logger.info(
                    "applied migration %04d_%s to %s", migration.version, migration.name, schema
                )
    return applied


def _lock_id(schema: str) -> int:
    return stable_hash(f"shopstream-migrate:{schema}") >> 1  # a signed 64-bit advisory key
