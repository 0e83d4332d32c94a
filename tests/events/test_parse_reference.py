"""``parse_message`` gives exactly what its straightforward form gives, on generated messages.

The parser skips work where it can (typed properties checked without pydantic when they are
plain, normalised fields written straight into the model, memoised phone numbers and hashes).
The reference below is the parser as it was written before any of that: pydantic validation
of everything, assignment field by field. For every generated message both must accept it
with the same logged bytes, fields set and extras, or reject it with the same field and text;
neither may change the caller's dicts.
"""

from __future__ import annotations

import copy
import math
import string
import uuid
from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from shopstream.events import (
    MESSAGE_MODELS,
    PROPERTY_MODELS,
    Identifier,
    IdType,
    InvalidEvent,
    as_utc,
    check_properties,
    correct_skew,
    derive_channel,
    hash_identifier,
    message_to_json,
    normalize_email,
    normalize_phone,
    parse_message,
)
from shopstream.testing import json_values, mutated_messages, segment_messages

RECEIVED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SENT = datetime(2026, 3, 1, 11, 59, 30, tzinfo=UTC)

# -- the reference: parse_message written plainly -------------------------------------------


def reference_parse(
    raw: object, *, received_at: datetime, sent_at: datetime | None, path: str
) -> Any:
    try:
        if not isinstance(raw, dict):
            msg = f"must be a JSON object; got {type(raw).__name__}"
            raise InvalidEvent(msg, field="")
        kind = raw.get("type")
        model = MESSAGE_MODELS.get(kind) if isinstance(kind, str) else None
        if model is None:
            msg = f"must be one of {sorted(MESSAGE_MODELS)}; got {kind!r}"
            raise InvalidEvent(msg, field="type")
        message = model.model_validate({**raw, "type": kind})
        _ref_normalize(message, received_at, sent_at)
    except ValidationError as exc:
        field, reason = _ref_first_error(exc)
        joined = _ref_join(path, field)
        raise InvalidEvent(joined + ": " + reason, field=joined) from None
    except InvalidEvent as exc:
        field = _ref_join(path, exc.field or "")
        raise InvalidEvent(f"{field}: {exc.message}", field=field) from None
    return message


def _ref_join(path: str, field: str) -> str:
    return f"{path}{field}".rstrip(".") or "body"


def _ref_first_error(exc: ValidationError, prefix: str = "") -> tuple[str, str]:
    error = exc.errors(include_url=False)[0]
    if error["type"] == "identity_required":
        return "userId", error["msg"]
    loc = ".".join(str(part) for part in error["loc"])
    return prefix + loc if loc else prefix.rstrip("."), error["msg"]


def _ref_utc(moment: datetime, field: str) -> datetime:
    try:
        return as_utc(moment)
    except OverflowError:
        msg = f"must fall within years 1-9999 once converted to UTC; got {moment.isoformat()}"
        raise InvalidEvent(msg, field=field) from None


def _ref_normalize(message: Any, received_at: datetime, sent_at: datetime | None) -> None:
    message.source = "web"
    message.message_id = message.message_id or str(uuid.uuid4())
    message.received_at = _ref_utc(message.received_at or received_at, "receivedAt")
    original_field = "originalTimestamp" if message.original_timestamp else "timestamp"
    original = message.original_timestamp or message.timestamp
    message.original_timestamp = _ref_utc(original, original_field) if original else None
    sent = message.sent_at or sent_at
    message.sent_at = _ref_utc(sent, "sentAt") if sent else None
    if message.original_timestamp is None:
        message.original_timestamp = message.sent_at or message.received_at
    try:
        message.timestamp = correct_skew(
            message.original_timestamp, message.sent_at, message.received_at
        )
    except OverflowError:
        msg = (
            f"corrected for clock skew (sentAt {message.sent_at}) falls outside years 1-9999; "
            f"got {message.original_timestamp}"
        )
        raise InvalidEvent(msg, field=original_field) from None
    message.channel = derive_channel(message.context, message.type, message.channel)
    if message.type == "track":
        try:
            message.properties = reference_properties(message.event, message.properties)
        except ValidationError as exc:
            field, reason = _ref_first_error(exc, prefix="properties.")
            raise InvalidEvent(reason, field=field) from None
    message.identities = _ref_identities(message)


def reference_properties(event: str, properties: dict[str, Any]) -> dict[str, Any]:
    model = PROPERTY_MODELS.get(event)
    if model is None:
        return properties
    return model.model_validate(properties).model_dump(exclude_unset=True)


def _ref_identities(message: Any) -> list[Identifier]:
    found: list[Identifier] = []
    if message.anonymous_id:
        found.append(Identifier(IdType.ANONYMOUS_ID, message.anonymous_id))
    if message.user_id:
        found.append(Identifier(IdType.USER_ID, message.user_id))
    containers: list[tuple[str, dict[str, Any]]] = []
    if message.type in ("identify", "group"):
        containers.append(("traits", message.traits))
    ctx_traits = message.context.get("traits")
    if isinstance(ctx_traits, dict):
        ctx_traits = message.context["traits"] = dict(ctx_traits)
        containers.append(("context.traits", ctx_traits))
    if message.type == "track":
        containers.append(("properties", message.properties))
    for where, bag in containers:
        found.extend(_ref_identities_in(bag, where))
    device = message.context.get("device")
    if isinstance(device, dict) and isinstance(device.get("id"), str) and device["id"]:
        found.append(Identifier(IdType.DEVICE_ID, device["id"]))
    if message.type == "alias":
        found.append(Identifier(IdType.ANONYMOUS_ID, message.previous_id))
    return list(dict.fromkeys(found))


def _ref_identities_in(bag: dict[str, Any], where: str) -> list[Identifier]:
    found: list[Identifier] = []
    email = bag.get("email")
    if email is not None:
        local, at, domain = (
            email.strip().rpartition("@") if isinstance(email, str) else ("", "", "")
        )
        if not (local and at and domain) or any(c.isspace() for c in local + domain):
            raise InvalidEvent(f"must be an e-mail address; got {email!r}", field=f"{where}.email")
        bag["email"] = normalize_email(email)
        found.append(Identifier(IdType.EMAIL, hash_identifier(bag["email"])))
    phone = bag.get("phone")
    if phone is not None:
        if isinstance(phone, bool) or not isinstance(phone, str | int):
            raise InvalidEvent(f"must be a phone number; got {phone!r}", field=f"{where}.phone")
        try:
            bag["phone"] = normalize_phone.__wrapped__(str(phone), "US")
        except ValueError as exc:
            raise InvalidEvent(f"{exc}; got {phone!r}", field=f"{where}.phone") from None
        found.append(Identifier(IdType.PHONE, hash_identifier(bag["phone"])))
    for id_type, keys in (
        (IdType.LOYALTY_ID, ("loyalty_id", "loyaltyId")),
        (IdType.CARD_TOKEN, ("card_token", "cardToken")),
    ):
        for key in keys:
            value = bag.get(key)
            if value is None or value == "":
                continue
            if isinstance(value, bool) or not isinstance(value, str | int):
                raise InvalidEvent(f"must be a string; got {value!r}", field=f"{where}.{key}")
            if id_type is IdType.CARD_TOKEN:
                del bag[key]
                found.append(Identifier(id_type, hash_identifier(str(value))))
            else:
                found.append(Identifier(id_type, str(value)))
    return found


# -- comparing --------------------------------------------------------------------------------


def _shape(value: Any) -> Any:
    """``value`` with its types and dict order made part of equality (1 != 1.0, NaN == NaN)."""
    if isinstance(value, dict):
        return ("dict", [(_shape(k), _shape(v)) for k, v in value.items()])
    if isinstance(value, list | tuple):
        return (type(value).__name__, [_shape(v) for v in value])
    if isinstance(value, float):
        return ("float", repr(value))
    return (type(value), value)


def _logged(message: Any) -> bytes | str:
    """The logged bytes, or the error of a message the log cannot hold (a lone surrogate in
    an untyped property, say: accepted by validation, refused by both JSON writers)."""
    try:
        return message_to_json(message)
    except ValueError as exc:  # pydantic's PydanticSerializationError
        return type(exc).__name__


def _outcome(parse: Any, raw: object) -> tuple[str, Any]:
    try:
        message = parse(raw)
    except InvalidEvent as exc:
        return "rejected", (exc.field, exc.message)
    return "accepted", message


def assert_parsed_alike(raw: object, path: str = "batch[4].") -> None:
    kept = copy.deepcopy(raw)
    mine = copy.deepcopy(raw)
    got, message = _outcome(
        lambda r: parse_message(
            r, source="web", received_at=RECEIVED, sent_at=SENT, default_type=None, path=path
        ),
        raw,
    )
    want, reference = _outcome(
        lambda r: reference_parse(r, received_at=RECEIVED, sent_at=SENT, path=path), mine
    )
    assert _shape(raw) == _shape(kept), "parse_message changed the caller's dicts"
    assert (got, want) in (("accepted", "accepted"), ("rejected", "rejected"))
    if got == "rejected":
        assert message == reference
        return
    if not isinstance(raw, dict) or raw.get("messageId") is None:
        reference.__dict__["message_id"] = message.message_id  # a fresh uuid4 on each side
    assert type(message) is type(reference)
    assert _logged(message) == _logged(reference)
    assert _shape(message.__dict__) == _shape(reference.__dict__)
    assert message.model_fields_set == reference.model_fields_set
    assert _shape(message.__pydantic_extra__) == _shape(reference.__pydantic_extra__)


@given(segment_messages())
def test_valid_messages_parse_as_the_reference_parses_them(raw: dict[str, Any]) -> None:
    assert_parsed_alike(raw)


@given(mutated_messages())
def test_broken_messages_are_rejected_as_the_reference_rejects_them(raw: dict[str, Any]) -> None:
    assert_parsed_alike(raw)


# -- typed properties: plain, nearly plain, and not plain at all ------------------------------

_awkward_scalars = st.sampled_from(
    [
        None, True, False, 0, -1, 7, 2**53, 2**53 + 1, 2**63, -(2**63) - 1, 10**30, 0.0, -0.0,
        1.5, 1e300, math.inf, -math.inf, math.nan, "", " ", "p1", "19.90", "7", "NaN", "true",
        "Ünïcode", "\ud800", "x" * 300, IdType.EMAIL,
    ]
)  # fmt: skip
_awkward = _awkward_scalars | json_values(max_leaves=4)
_keys = st.text(string.ascii_lowercase + "_", min_size=1, max_size=8) | st.sampled_from(
    ["product_id", "price", "quantity", "sku", "name", "brand", "category", "store_id",
     "order_id", "total", "revenue", "currency", "products", "cart_id", "query", "zone_id",
     "online", "kind", "region", "purpose", "granted", "\ud800", "ключ"]
)  # fmt: skip


_amounts = st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(10**6), 10**6)
_texts = st.text(min_size=1, max_size=8)
_PLAIN: dict[str, st.SearchStrategy[Any]] = {
    "product_id": st.text(min_size=1, max_size=8) | st.integers(0, 10**9),
    "quantity": st.integers(0, 100),
    "online": st.booleans(),
    "granted": st.booleans(),
    **dict.fromkeys(("price", "total", "revenue", "tax", "shipping", "discount"), _amounts),
    **dict.fromkeys(
        ("sku", "name", "brand", "category", "currency", "store_id", "cart_id", "order_id",
         "query", "zone_id", "kind", "region", "purpose"),
        _texts,
    ),
}  # fmt: skip


@st.composite
def _plain_or_not(draw: st.DrawFn, plain: dict[str, st.SearchStrategy[Any]]) -> dict[str, Any]:
    """Some of the typed properties with plain values, extras, maybe one awkward value."""
    props = {key: draw(value) for key, value in plain.items() if draw(st.integers(0, 5))}
    props.update(draw(st.dictionaries(_keys, json_values(max_leaves=3), max_size=3)))
    if draw(st.integers(0, 3)) == 0:
        props[draw(_keys)] = draw(_awkward)
    if draw(st.integers(0, 7)) == 0:
        props["extra"] = draw(
            st.sampled_from([(1, 2), {1: "a"}, {"a": (1,)}, [datetime(2026, 1, 1, tzinfo=UTC)]])
        )
    return dict(draw(st.permutations(list(props.items()))))


_ITEM_PLAIN = {k: _PLAIN[k] for k in ("product_id", "sku", "name", "price", "quantity")}


@st.composite
def typed_properties(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A known event's properties: mostly plain, now and then with an awkward value."""
    event = draw(st.sampled_from(sorted(PROPERTY_MODELS)))
    items = st.lists(_plain_or_not(_ITEM_PLAIN), max_size=3)
    props = draw(_plain_or_not({**_PLAIN, "products": items}))
    return event, props


@given(typed_properties())
def test_typed_properties_are_checked_as_pydantic_checks_them(
    case: tuple[str, dict[str, Any]],
) -> None:
    event, props = case
    kept = copy.deepcopy(props)
    try:
        want: Any = ("ok", _shape(reference_properties(event, copy.deepcopy(props))))
    except ValidationError as exc:
        want = ("error", exc.errors(include_url=False)[0]["loc"])
    try:
        got: Any = ("ok", _shape(check_properties(event, props)))
    except ValidationError as exc:
        got = ("error", exc.errors(include_url=False)[0]["loc"])
    assert got == want
    assert _shape(props) == _shape(kept)


@given(typed_properties(), segment_messages(types=["track"]))
def test_tracks_with_awkward_properties_parse_as_the_reference_parses_them(
    case: tuple[str, dict[str, Any]], raw: dict[str, Any]
) -> None:
    raw["event"], raw["properties"] = case
    assert_parsed_alike(raw)
