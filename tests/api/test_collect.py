from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.parametrize(
    "backend", ["embedded", "collectors", "scaleout"], indirect=True
)


async def test_track_is_appended_and_readable(
    client: httpx.AsyncClient, writer: tuple[str, str], admin: dict[str, str]
) -> None:
    event = {
        "event": "Product Viewed",
        "anonymousId": "a1",
        "messageId": "m1",
        "properties": {"product_id": 7, "price": "19.99"},
    }
    response = await client.post("/v1/track", json=event, auth=writer)
    assert response.status_code == 200, response.text
    listed = (await client.get("/v1/events", headers=admin)).json()
    [record] = listed["events"]
    assert record["offset"] == listed["next"]
    assert record["event"]["properties"] == {"product_id": "7", "price": 19.99}
    assert record["event"]["source"] == "test"


async def test_repeated_message_id_is_stored_once(
    client: httpx.AsyncClient, writer: tuple[str, str], admin: dict[str, str]
) -> None:
    batch = {"batch": [{"type": "page", "anonymousId": "a1", "messageId": "same"}] * 3}
    for _ in range(2):
        assert (await client.post("/v1/batch", json=batch, auth=writer)).status_code == 200
    assert len((await client.get("/v1/events", headers=admin)).json()["events"]) == 1
