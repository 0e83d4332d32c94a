"""Bad input never causes a 5xx or loses a valid event (DESIGN.md, "Reliability").

Every bad request answers 4xx with RFC 9457 problem details naming the field that failed.
Events rejected inside a request are dead-lettered with their reasons and named by index and
field; the valid events beside them are stored. The golden cases live in
``cases/bad_input.json``; sizes, gzip bombs, key scopes and fuzzing are code below.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from shopstream import Settings
from shopstream.events import redact
from shopstream.testing import ServerProcess, json_values, mutated_messages, segment_messages

CASES_FILE = Path(__file__).parent / "cases" / "bad_input.json"
CASE_KEYS = {"id", "what", "endpoint", "json", "text", "base64", "headers", "auth", "status",
             "field", "rejected", "kept", "accepted"}  # fmt: skip
KiB = 1024


def load_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads(CASES_FILE.read_text())
    return cases


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "case" in metafunc.fixturenames:
        cases = load_cases()
        metafunc.parametrize("case", cases, ids=[c["id"] for c in cases])


# -- helpers ------------------------------------------------------------------------------


def keys(settings: Settings) -> dict[str, str]:
    return {
        "write": settings.write_keys[0].partition(":")[2],
        "server": settings.server_keys[0],
        "admin": settings.admin_keys[0],
    }


async def stored(client: httpx.AsyncClient, admin: dict[str, str]) -> list[dict[str, Any]]:
    response = await client.get("/v1/events", params={"limit": 5000}, headers=admin)
    assert response.status_code == 200, response.text
    return [record["event"] for record in response.json()["events"]]


async def dead_letters(client: httpx.AsyncClient, admin: dict[str, str]) -> list[dict[str, Any]]:
    response = await client.get("/v1/dead-letters", params={"limit": 1000}, headers=admin)
    assert response.status_code == 200, response.text
    letters: list[dict[str, Any]] = response.json()["deadLetters"]
    return letters


def assert_problem(response: httpx.Response, status: int, field: str | None) -> dict[str, Any]:
    """A 4xx problem+json answer (RFC 9457) with its members, naming ``field``."""
    assert response.status_code == status, response.text
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["type"].startswith("urn:shopstream:problem:")
    assert isinstance(problem["title"], str)
    assert problem["title"]
    assert problem["status"] == status
    assert isinstance(problem["detail"], str)
    assert problem["detail"]
    assert problem.get("field") == field
    return problem


def request_of(case: dict[str, Any], key: dict[str, str]) -> dict[str, Any]:
    """The httpx arguments that send ``case``."""
    headers = {"Content-Type": "application/json", **case.get("headers", {})}
    auth = case.get("auth", "write")
    body = case.get("json")
    if auth == "body":
        body = {**body, "writeKey": key["write"]}
    if "text" in case:
        content = case["text"].encode()
    elif "base64" in case:
        content = base64.b64decode(case["base64"])
    else:
        content = json.dumps(body).encode()
    basic = {"write": key["write"], "wrong": "wk_wrong", "admin": key["admin"],
             "server": key["server"]}.get(auth)  # fmt: skip
    return {"content": content, "headers": headers, "auth": (basic, "") if basic else None}


def sent_events(case: dict[str, Any]) -> list[Any]:
    """Each event of the case as the collector sees it (single bodies get their type)."""
    body = case["json"]
    if case["endpoint"] != "/v1/batch":
        event = {key: value for key, value in body.items() if key != "writeKey"}
        return [{**event, "type": case["endpoint"].rsplit("/", 1)[1]}]
    shared = body.get("context")
    if not isinstance(shared, dict):
        return list(body["batch"])
    merged = []
    for item in body["batch"]:
        own = item.get("context") if isinstance(item, dict) else None
        context = {**shared, **own} if isinstance(own, dict) else shared
        merged.append({**item, "context": context} if isinstance(item, dict) else item)
    return merged


# -- the golden cases ---------------------------------------------------------------------


def test_cases_are_well_formed() -> None:
    cases = load_cases()
    assert len({c["id"] for c in cases}) == len(cases)
    for case in cases:
        assert set(case) <= CASE_KEYS, case["id"]
        assert 400 <= case["status"] < 500, case["id"]
        assert sum(k in case for k in ("json", "text", "base64")) == 1, case["id"]


@pytest.mark.parametrize("backend", ["embedded", "collectors", "scaleout"], indirect=True)
async def test_bad_input(
    case: dict[str, Any],
    client: httpx.AsyncClient,
    admin: dict[str, str],
    settings: Settings,
) -> None:
    response = await client.post(case["endpoint"], **request_of(case, keys(settings)))
    problem = assert_problem(response, case["status"], case["field"])
    assert problem["instance"] == case["endpoint"]
    kept = case.get("kept", [])
    assert sorted(e["messageId"] for e in await stored(client, admin)) == sorted(kept)
    letters = await dead_letters(client, admin)
    if "rejected" not in case:
        # The request as a whole was refused: nothing was appended or dead-lettered.
        assert "errors" not in problem
        assert letters == []
        return
    # Each rejected event is named by index and field, with the reason...
    assert [[e["index"], e["field"]] for e in problem["errors"]] == case["rejected"]
    for error in problem["errors"]:
        assert error["detail"].startswith(f"{error['field']}: ")
    assert problem["accepted"] == case.get("accepted", len(kept))
    assert problem["detail"].startswith(f"{len(case['rejected'])} event(s) rejected")
    # ... and kept as a dead letter with that reason and the event as it was sent.
    sent = sent_events(case)
    assert [(d["field"], d["reason"], d["event"], d["source"]) for d in letters] == [
        (e["field"], e["detail"], redact(sent[e["index"]]), "test") for e in problem["errors"]
    ]  # as sent, but for card tokens (hashed: tests/events/test_redact.py)


# -- sizes: 32 KB an event, 500 KB a request ----------------------------------------------


def padded_event(message_id: str, size: int) -> dict[str, Any]:
    """A valid track event whose compact JSON is exactly ``size`` bytes."""
    event: dict[str, Any] = {"type": "track", "event": "Banner Seen", "userId": "u1",
                             "messageId": message_id, "properties": {"pad": ""}}  # fmt: skip
    event["properties"]["pad"] = "x" * (size - len(orjson.dumps(event)))
    assert len(orjson.dumps(event)) == size
    return event


async def test_an_event_of_exactly_32_kib_is_kept_and_one_byte_more_is_not(
    client: httpx.AsyncClient, writer: tuple[str, str], admin: dict[str, str]
) -> None:
    batch = [
        padded_event("fits", 32 * KiB),
        padded_event("over", 32 * KiB + 1),
        padded_event("ok", 100),
    ]
    response = await client.post("/v1/batch", content=orjson.dumps({"batch": batch}), auth=writer)
    problem = assert_problem(response, 400, "batch[1]")
    assert problem["errors"] == [
        {"index": 1, "field": "batch[1]",
         "detail": "batch[1]: event is 32,769 bytes; the limit is 32,768"}
    ]  # fmt: skip
    assert sorted(e["messageId"] for e in await stored(client, admin)) == ["fits", "ok"]
    [letter] = await dead_letters(client, admin)
    assert letter["event"]["messageId"] == "over"


async def test_an_oversize_single_event_is_dead_lettered(
    client: httpx.AsyncClient, writer: tuple[str, str], admin: dict[str, str]
) -> None:
    event = padded_event("big", 40 * KiB)
    response = await client.post("/v1/track", json=event, auth=writer)
    problem = assert_problem(response, 400, "body")
    assert "the limit is 32,768" in problem["detail"]
    assert await stored(client, admin) == []
    assert [d["field"] for d in await dead_letters(client, admin)] == ["body"]


def batch_of_size(size: int) -> bytes:
    """A valid batch body of exactly ``size`` bytes, every event well under 32 KiB."""
    events = [padded_event(f"m{i}", 16 * KiB) for i in range(size // (16 * KiB) - 1)]
    body = orjson.dumps({"batch": events})
    events.append(padded_event("last", 1000))
    body = orjson.dumps({"batch": events})
    events[-1] = padded_event("last", 1000 + size - len(body))
    body = orjson.dumps({"batch": events})
    assert len(body) == size
    return body


async def test_a_request_of_exactly_500_kib_is_stored(
    client: httpx.AsyncClient, writer: tuple[str, str], admin: dict[str, str]
) -> None:
    body = batch_of_size(500 * KiB)
    response = await client.post("/v1/batch", content=body, auth=writer)
    assert response.status_code == 200, response.text
    assert len(await stored(client, admin)) == len(orjson.loads(body)["batch"])


async def test_a_request_over_500_kib_is_refused_whole(
    client: httpx.AsyncClient, writer: tuple[str, str], admin: dict[str, str]
) -> None:
    response = await client.post("/v1/batch", content=batch_of_size(500 * KiB + 1), auth=writer)
    problem = assert_problem(response, 413, "body")
    assert problem["limit"] == 500 * KiB
    assert problem["detail"] == "the body is 512,001 bytes; the limit is 512,000"
    assert await stored(client, admin) == []
    assert await dead_letters(client, admin) == []


async def test_an_oversize_request_without_content_length_is_cut_off(
    client: httpx.AsyncClient, writer: tuple[str, str], admin: dict[str, str]
) -> None:
    """Chunked, so only counting the stream can catch it."""
    chunk = b" " * (64 * KiB)

    async def stream() -> AsyncIterator[bytes]:
        yield b'{"batch": ['
        for _ in range(20):  # 1.25 MiB of whitespace: valid JSON, far too big
            yield chunk
        yield b"]}"

    response = await client.post("/v1/batch", content=stream(), auth=writer)
    assert "content-length" not in response.request.headers
    problem = assert_problem(response, 413, "body")
    assert problem["detail"].startswith("the body is ")
    assert await stored(client, admin) == []


async def test_an_oversize_content_length_is_refused_before_reading(
    client: httpx.AsyncClient, writer: tuple[str, str]
) -> None:
    response = await client.post(
        "/v1/batch", content=b"{}", headers={"Content-Length": str(10 * 1024 * KiB)}, auth=writer
    )
    problem = assert_problem(response, 413, "body")
    assert problem["detail"] == "the body is 10,485,760 bytes; the limit is 512,000"


@pytest.mark.integration
def test_a_real_server_refuses_a_declared_oversize_body_without_waiting_for_it(
    server: ServerProcess,
) -> None:
    """Only headers are sent; an answer that waited for 600 KB of body would time out."""
    credentials = base64.b64encode(f"{server.write_key}:".encode()).decode()
    head = (
        "POST /v1/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Authorization: Basic {credentials}\r\nContent-Length: {600 * KiB}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head.encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"application/problem+json" in answer


# -- gzip ---------------------------------------------------------------------------------


def gzipped_raw(content: bytes) -> dict[str, Any]:
    """httpx arguments that send ``content`` as is, labelled as gzip."""
    return {"content": content, "headers": {"Content-Encoding": "gzip"}}


def gzipped(body: bytes) -> dict[str, Any]:
    return gzipped_raw(gzip.compress(body))


async def test_gzip_bodies_are_accepted(
    client: httpx.AsyncClient, writer: tuple[str, str], admin: dict[str, str]
) -> None:
    body = orjson.dumps({"batch": [padded_event("z1", 500), padded_event("z2", 500)]})
    assert (await client.post("/v1/batch", **gzipped(body), auth=writer)).status_code == 200
    # Several gzip members are one gzip stream (RFC 1952); all of them count.
    members = gzip.compress(body[:20]) + gzip.compress(body[20:]) + b"\0\0"  # and NUL padding
    headers = {"Content-Encoding": "gzip"}
    response = await client.post("/v1/batch", content=members, headers=headers, auth=writer)
    assert response.status_code == 200, response.text
    assert sorted(e["messageId"] for e in await stored(client, admin)) == ["z1", "z2"]


async def test_a_gzip_bomb_is_refused(
    client: httpx.AsyncClient, writer: tuple[str, str], admin: dict[str, str]
) -> None:
    """About 10 KB on the wire that would inflate to 10 MB of valid JSON."""
    bomb = gzip.compress(b'{"batch": [' + b" " * (10 * 1024 * KiB) + b"]}", compresslevel=9)
    assert len(bomb) < 20 * KiB
    response = await client.post("/v1/batch", **gzipped_raw(bomb), auth=writer)
    problem = assert_problem(response, 413, "body")
    assert problem["detail"] == "the unzipped body is at least 512,001 bytes; the limit is 512,000"
    assert await stored(client, admin) == []


async def test_a_bomb_split_across_gzip_members_is_refused(
    client: httpx.AsyncClient, writer: tuple[str, str]
) -> None:
    member = gzip.compress(b" " * (400 * KiB))
    body = gzip.compress(b'{"batch": [') + member + member + gzip.compress(b"]}")
    response = await client.post("/v1/batch", **gzipped_raw(body), auth=writer)
    assert_problem(response, 413, "body")


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("truncated", gzip.compress(b'{"batch": []}')[:-6]),
        ("header only", gzip.compress(b'{"batch": []}')[:10]),
        ("trailing junk", gzip.compress(b'{"batch": []}') + b"junk"),
        ("corrupt", gzip.compress(b'{"batch": []}')[:12] + b"\xff" * 8),
    ],
)
async def test_invalid_gzip_is_refused(
    name: str, body: bytes, client: httpx.AsyncClient, writer: tuple[str, str]
) -> None:
    response = await client.post("/v1/batch", **gzipped_raw(body), auth=writer)
    problem = assert_problem(response, 400, "content-encoding")
    assert problem["detail"].startswith("the body is not valid gzip"), name


async def test_a_compressed_body_over_the_limit_is_refused_before_inflating(
    client: httpx.AsyncClient, writer: tuple[str, str]
) -> None:
    noise = gzip.compress(os.urandom(600 * KiB))  # random bytes do not compress
    response = await client.post("/v1/batch", **gzipped_raw(noise), auth=writer)
    problem = assert_problem(response, 413, "body")
    assert "unzipped" not in problem["detail"]


async def test_json_nested_too_deep_is_refused(
    client: httpx.AsyncClient, writer: tuple[str, str]
) -> None:
    deep = (
        b'{"userId": "u1", "event": "e", "properties": {"x": ' + b"[" * 5000 + b"]" * 5000 + b"}}"
    )
    assert_problem(await client.post("/v1/track", content=deep, auth=writer), 400, "body")


# -- keys and scopes ----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/v1/events", "/v1/dead-letters"])
async def test_reading_the_log_needs_an_admin_key(
    path: str, client: httpx.AsyncClient, settings: Settings, writer: tuple[str, str]
) -> None:
    key = keys(settings)
    for headers, auth, status in [
        ({}, None, 401),
        ({"Authorization": "Bearer ak_wrong"}, None, 401),
        ({"Authorization": "Bearer "}, None, 401),
        ({"Authorization": f"Bearer {key['write']}"}, None, 403),
        ({}, writer, 403),  # a write key, sent as Segment's SDKs send it
        ({"Authorization": f"Bearer {key['server']}"}, None, 403),
    ]:
        response = await client.get(path, headers=headers, auth=auth)
        assert_problem(response, status, "authorization")
        if status == 401:
            assert "Basic" in response.headers["www-authenticate"]
    ok = await client.get(path, headers={"Authorization": f"Bearer {key['admin']}"})
    assert ok.status_code == 200


async def test_a_write_key_in_the_body_works(
    client: httpx.AsyncClient, settings: Settings, admin: dict[str, str]
) -> None:
    key = keys(settings)["write"]
    single = {"writeKey": key, "userId": "u1", "event": "Banner Seen", "messageId": "w1"}
    assert (await client.post("/v1/track", json=single)).status_code == 200
    batch = {"writeKey": key, "batch": [{"type": "page", "userId": "u1", "messageId": "w2"}]}
    assert (await client.post("/v1/batch", json=batch)).status_code == 200
    events = await stored(client, admin)
    assert [(e["messageId"], e["source"]) for e in events] == [("w1", "test"), ("w2", "test")]
    assert all("writeKey" not in e for e in events)


# -- the admin reads' own parameters ------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"after": "-1"}, "query.after"),
        ({"after": "ten"}, "query.after"),
        ({"after": str(2**64)}, "query.after"),
        ({"limit": "0"}, "query.limit"),
        ({"limit": "100000"}, "query.limit"),
    ],
)
@pytest.mark.parametrize("path", ["/v1/events", "/v1/dead-letters"])
async def test_bad_read_parameters(
    path: str, query: dict[str, str], field: str, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    assert_problem(await client.get(path, params=query, headers=admin), 400, field)


async def test_unknown_routes_and_methods_are_problems_too(
    client: httpx.AsyncClient, writer: tuple[str, str]
) -> None:
    assert_problem(await client.post("/v1/purchase", json={}, auth=writer), 404, None)
    assert_problem(await client.get("/v1/track", auth=writer), 405, None)


# -- fuzzing: whatever arrives, no 5xx and no valid event lost ----------------------------

_fuzz = hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_fuzz
@given(broken=mutated_messages(), valid=segment_messages(), data=st.data())
async def test_a_broken_message_never_costs_its_neighbours(
    broken: dict[str, Any],
    valid: dict[str, Any],
    data: st.DataObject,
    client: httpx.AsyncClient,
    writer: tuple[str, str],
    admin: dict[str, str],
) -> None:
    tag = data.draw(st.uuids()).hex
    neighbours = [{**valid, "messageId": f"{tag}-a"}, {**valid, "messageId": f"{tag}-b"}]
    batch = [neighbours[0], broken, neighbours[1]]
    response = await client.post("/v1/batch", content=orjson.dumps({"batch": batch}), auth=writer)
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        problem = assert_problem(response, 400, response.json().get("field"))
        assert problem["field"].startswith("batch[1]")
        assert [e["index"] for e in problem["errors"]] == [1]
    after = (await client.get("/v1/events", params={"limit": 5000}, headers=admin)).json()
    ids = {record["event"]["messageId"] for record in after["events"]}
    assert {f"{tag}-a", f"{tag}-b"} <= ids


@_fuzz
@given(
    body=json_values(),
    endpoint=st.sampled_from(["/v1/batch", "/v1/track", "/v1/identify", "/v1/alias"]),
)
async def test_any_json_body_gets_an_answer_not_a_crash(
    body: Any, endpoint: str, client: httpx.AsyncClient, writer: tuple[str, str]
) -> None:
    response = await client.post(endpoint, content=orjson.dumps(body), auth=writer)
    assert response.status_code < 500, response.text
    if response.status_code != 200:
        assert_problem(response, response.status_code, response.json().get("field"))


async def test_a_rejected_event_keeps_no_raw_card_token(
    client: httpx.AsyncClient, writer: tuple[str, str], admin: dict[str, str]
) -> None:
    token = "tok_pos_5500005555555559"
    rejected = {
        "type": "track",
        "event": "Order Completed",  # no order_id: rejected
        "userId": "u-card",
        "context": {"traits": {"card_token": token}},
        "properties": {"payment": {"cardToken": token}},
    }
    response = await client.post("/v1/batch", json={"batch": [rejected]}, auth=writer)
    assert_problem(response, 400, "batch[0].properties.order_id")
    pages, after = [], 0
    while True:  # every dead letter stored so far (the server is shared with other tests)
        page = await client.get("/v1/dead-letters", params={"after": after}, headers=admin)
        assert page.status_code == 200
        pages.append(page.text)
        after, more = page.json()["next"], page.json()["deadLetters"]
        if not more:
            break
    assert token not in "".join(pages)
    assert "u-card" in "".join(pages)  # the event itself was kept, token hashed
