"""Reading the log back without validating twice gives exactly what validation gives."""

from __future__ import annotations

import gc
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from hypothesis import given
from pydantic import ValidationError

from shopstream.events import message_from_json, message_to_json, parse_message
from shopstream.events.models import message_from_json as validated
from shopstream.testing import segment_messages

RECEIVED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _same(fast: Any, slow: Any) -> None:
    assert type(fast) is type(slow)
    assert fast == slow
    assert fast.model_fields_set == slow.model_fields_set
    assert fast.__pydantic_extra__ == slow.__pydantic_extra__
    assert fast.model_dump() == slow.model_dump()
    assert message_to_json(fast) == message_to_json(slow)
    assert [type(i.type) for i in fast.identities] == [type(i.type) for i in slow.identities]


@given(segment_messages())
def test_a_logged_message_reads_back_as_validation_reads_it(raw: dict[str, Any]) -> None:
    logged = message_to_json(parse_message(raw, source="web", received_at=RECEIVED))
    _same(message_from_json(logged), validated(logged))


def test_extras_are_kept_in_order() -> None:
    raw = {"type": "track", "event": "Thing", "userId": "u1", "zeta": 1, "alpha": [1, {"b": 2}]}
    logged = message_to_json(parse_message(raw, source="web", received_at=RECEIVED))
    fast = message_from_json(logged)
    _same(fast, validated(logged))
    assert list(fast.__pydantic_extra__ or {}) == ["zeta", "alpha"]


@pytest.mark.parametrize(
    "payload",
    [
        # Not in the logged shape: each takes the validating path and reads as it always did.
        {"type": "track", "event": "E", "message_id": "m1", "userId": "u1"},  # a Python name
        {"type": "track", "event": "E", "userId": "u1", "channel": "Mobile"},  # a hint
        {"type": "track", "event": "E", "userId": "u1", "timestamp": 1700000000},  # a number
        {"type": "track", "event": "E", "userId": "u1", "identities": [["userId", 7]]},
        {"type": "track", "event": "E", "userId": "u1", "timestamp": None},
        {"type": "track", "event": "E", "userId": "u1", "timestamp": "2020-01-01T00:00:00"},
        {"type": "track", "event": 5, "userId": 7},  # numbers, coerced to strings
        {"type": "track", "event": "E", "userId": "  ", "anonymousId": "a1"},  # blank
    ],
)
def test_other_shapes_are_validated(payload: dict[str, Any]) -> None:
    data = orjson.dumps(payload)
    _same(message_from_json(data), validated(data))


@pytest.mark.parametrize(
    "payload",
    [
        b'{"type": "track", "userId": "u1"}',  # no event
        b'{"type": "nope", "userId": "u1"}',
        b'{"type": "track", "event": "E"}',  # nobody
        b'{"type": "track", "event": "E", "userId": " "}',  # nobody either
        b'{"type": "track", "event": "E", "userId": "u1", "context": []}',
        b'{"type": "track", "event": "E", "userId": "u1", "identities": [["shoeSize", "9"]]}',
        b"[1, 2]",
        b"not json",
    ],
)
def test_invalid_payloads_raise_as_validation_does(payload: bytes) -> None:
    with pytest.raises(ValidationError) as fast:
        message_from_json(payload)
    with pytest.raises(ValidationError) as slow:
        validated(payload)
    assert fast.value.errors(include_url=False) == slow.value.errors(include_url=False)


def test_gc_is_left_alone_by_reading() -> None:
    # The fast path allocates no reference cycles: nothing for the collector to find.
    logged = message_to_json(
        parse_message({"type": "identify", "userId": "u1"}, source="web", received_at=RECEIVED)
    )
    gc.collect()
    for _ in range(100):
        message_from_json(logged)
    assert gc.collect() == 0
