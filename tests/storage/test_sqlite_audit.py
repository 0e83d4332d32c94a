"""The audit log on SQLite: durable, ordered, filterable, and append-only."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shopstream.core import CustomerId, StoreId
from shopstream.profiles import AuditEntry, MemoryAuditLog
from shopstream.storage.sqlite import SQLiteAuditLog

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def entry(actor: str, customer: str, store: str | None = "s1") -> AuditEntry:
    return AuditEntry(
        T0,
        actor,
        "associate",
        CustomerId(customer),
        "profile.view",
        StoreId(store) if store else None,
    )


@pytest.fixture(params=["memory", "sqlite"])
def audit_log(request: pytest.FixtureRequest, tmp_path: Path) -> object:
    if request.param == "memory":
        return MemoryAuditLog()
    log = SQLiteAuditLog(tmp_path / "audit.db")
    request.addfinalizer(log.close)
    return log


async def test_entries_are_numbered_read_in_order_and_filtered(audit_log: object) -> None:
    log: SQLiteAuditLog = audit_log  # type: ignore[assignment]
    recorded = [
        await log.record(e)
        for e in (entry("a1", "c1"), entry("a2", "c2", "s2"), entry("a1", "c2", None))
    ]
    assert [e.id for e in recorded] == [1, 2, 3]
    assert await log.read() == recorded
    assert await log.read(after=1, limit=1) == [recorded[1]]
    assert [e.id for e in await log.read(customer_id=CustomerId("c2"))] == [2, 3]
    assert [e.id for e in await log.read(actor="a1")] == [1, 3]
    assert [e.id for e in await log.read(store_id=StoreId("s2"))] == [2]
    assert recorded[2].store_id is None and recorded[0].at == T0


async def test_sqlite_entries_survive_a_reopen_and_cannot_be_changed(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    log = SQLiteAuditLog(path)
    await log.record(entry("a1", "c1"))
    log.close()
    reopened = SQLiteAuditLog(path)
    assert [e.actor for e in await reopened.read()] == ["a1"]
    reopened.close()
    conn = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE audit SET actor = 'someone else'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM audit")
    conn.close()
