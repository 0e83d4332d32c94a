"""A rejected event's dead letter never keeps a raw card token, wherever it was sent."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from shopstream.events import hash_identifier, redact

TOKEN = "tok_live_4111111111111111"

json_leaves = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=8)
json_values = st.recursive(
    json_leaves,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=12,
)


def plant(value: Any, path: list[int], key: str) -> Any:
    """``value`` with a card token put into a dict somewhere along ``path``."""
    if isinstance(value, dict):
        if not path or not value:
            return {**value, key: TOKEN}
        child = sorted(value)[path[0] % len(value)]
        return {**value, child: plant(value[child], path[1:], key)}
    if isinstance(value, list) and value and path:
        index = path[0] % len(value)
        return [*value[:index], plant(value[index], path[1:], key), *value[index + 1 :]]
    return {"nested": value, key: TOKEN}


@given(
    json_values,
    st.lists(st.integers(0, 5), max_size=4),
    st.sampled_from(["card_token", "cardToken"]),
)
def test_no_raw_token_survives_at_any_depth(raw: Any, path: list[int], key: str) -> None:
    planted = plant(raw, path, key)
    assert TOKEN.encode() in orjson.dumps(planted)
    kept = orjson.dumps(redact(planted))
    assert TOKEN.encode() not in kept
    assert ("sha256:" + hash_identifier(TOKEN)).encode() in kept


@given(json_values)
def test_everything_else_is_kept_as_sent(raw: Any) -> None:
    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in ("card_token", "cardToken")}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    assert strip(redact(raw)) == strip(raw)


def test_odd_token_values() -> None:
    assert redact({"card_token": ""}) == {"card_token": ""}
    assert redact({"card_token": None}) == {"card_token": None}
    assert redact({"card_token": {"n": TOKEN}}) == {"card_token": "[redacted]"}
    assert redact({"cardToken": 4111}) == {"cardToken": "sha256:" + hash_identifier("4111")}
