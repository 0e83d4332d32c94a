"""``GET /v1/outbox`` shows what triggers wrote (admin key), filtered by status."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from shopstream.core import CustomerId
from shopstream.decide import Activation

pytestmark = pytest.mark.parametrize("backend", ["embedded", "scaleout"], indirect=True)


async def test_the_outbox_lists_entries_by_status(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    transport = client._transport
    assert isinstance(transport, httpx.ASGITransport)
    engine = transport.app.state.engine  # type: ignore[attr-defined]
    at = datetime(2026, 11, 25, 10, tzinfo=UTC)
    engine.outbox.put([
        Activation(f"k{i}", CustomerId("c1"), "webhook", "offer", "t1", "o1", "d1",
                   {"items": ["p1"]}, at)
        for i in range(3)
    ])  # fmt: skip
    engine.outbox.dead("k1", error="gave up", now=at)
    everything = (await client.get("/v1/outbox", headers=admin)).json()
    assert [e["key"] for e in everything["entries"]] == ["k0", "k1", "k2"]
    assert everything["counts"] == {"pending": 2, "delivered": 0, "dead": 1}
    dead = (await client.get("/v1/outbox?status=dead", headers=admin)).json()
    assert [(e["key"], e["lastError"]) for e in dead["entries"]] == [("k1", "gave up")]
    assert dead["entries"][0]["payload"] == {"items": ["p1"]}


async def test_the_outbox_needs_an_admin_key_and_a_known_status(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    assert (await client.get("/v1/outbox")).status_code == 401
    bad = await client.get("/v1/outbox?status=lost", headers=admin)
    assert bad.status_code == 400
    assert bad.json()["field"] == "query.status"
