"""From a raw JSON object to a validated, normalised message."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from shopstream.events.errors import InvalidEvent
from shopstream.events.models import MESSAGE_MODELS, Identifier, Message
from shopstream.events.normalize import (
    as_utc,
    correct_skew,
    derive_channel,
    hash_identifier,
    normalize_email,
    normalize_phone,
)
from shopstream.events.properties import check_properties
from shopstream.events.vocabulary import IdType

_TRAIT_KEYS = {
    IdType.LOYALTY_ID: ("loyalty_id", "loyaltyId"),
    IdType.CARD_TOKEN: ("card_token", "cardToken"),
}
_IDENTITY_KEYS = frozenset(
    {"email", "phone", *(key for keys in _TRAIT_KEYS.values() for key in keys)}
)
# Identifier(t, v) as NamedTuple's own __new__ builds it, without its Python-level call.
_identifier = tuple.__new__
_ANONYMOUS_ID, _USER_ID, _DEVICE_ID = IdType.ANONYMOUS_ID, IdType.USER_ID, IdType.DEVICE_ID
_EMAIL, _PHONE = IdType.EMAIL, IdType.PHONE


def parse_message(
    raw: object,
    *,
    source: str,
    received_at: datetime,
    sent_at: datetime | None = None,
    default_type: str | None = None,
    phone_region: str = "US",
    path: str = "",
) -> Message:
    """Validate and normalise one message.

    Args:
        raw: the decoded JSON object as sent.
        source: the source named by the write key; with ``messageId`` it is the dedupe key.
        received_at: when the collector received the request.
        sent_at: the batch's ``sentAt``, used when the message carries none.
        default_type: the type implied by the endpoint (``/v1/track`` -> ``track``).
        phone_region: region assumed for phone numbers written without ``+``.
        path: prefix for error fields, such as ``batch[3].``.

    Raises:
        InvalidEvent: with ``field`` naming the path that failed.
    """
    try:
        if not isinstance(raw, dict):
            msg = f"must be a JSON object; got {type(raw).__name__}"
            raise InvalidEvent(msg, field="")
        kind = raw.get("type", default_type)
        model = MESSAGE_MODELS.get(kind) if isinstance(kind, str) else None
        if model is None:
            msg = f"must be one of {sorted(MESSAGE_MODELS)}; got {kind!r}"
            raise InvalidEvent(msg, field="type")
        # The message's own type needs no copy of it to say so (a copy is 5% of a parse).
        sent = raw if "type" in raw else {**raw, "type": kind}
        message: Message = model.model_validate(sent)  # type: ignore[assignment]
        _normalize(
            message,
            source=source,
            received_at=received_at,
            sent_at=sent_at,
            phone_region=phone_region,
        )
    except ValidationError as exc:
        field, reason = _first_error(exc)
        raise InvalidEvent(_join(path, field) + ": " + reason, field=_join(path, field)) from None
    except InvalidEvent as exc:
        field = _join(path, exc.field or "")
        raise InvalidEvent(f"{field}: {exc.message}", field=field) from None
    return message


def _join(path: str, field: str) -> str:
    joined = f"{path}{field}".rstrip(".")
    return joined or "body"


def _first_error(exc: ValidationError, prefix: str = "") -> tuple[str, str]:
    error = exc.errors(include_url=False)[0]
    if error["type"] == "identity_required":
        return "userId", error["msg"]
    loc = ".".join(str(part) for part in error["loc"])
    return prefix + loc if loc else prefix.rstrip("."), error["msg"]


# The fields normalisation fills, set on every message it returns (``properties``: on tracks).
_NORMALIZED = frozenset(
    {"source", "message_id", "received_at", "original_timestamp", "sent_at", "timestamp",
     "channel", "identities"}
)  # fmt: skip
_NORMALIZED_TRACK = _NORMALIZED | {"properties"}


def _normalize(
    message: Message,
    *,
    source: str,
    received_at: datetime,
    sent_at: datetime | None,
    phone_region: str,
) -> None:
    # Straight into the model's __dict__, as pydantic's own assignment does for a model
    # without validate_assignment: a dozen fields a message, without a __setattr__ call each.
    values = message.__dict__
    values["source"] = source
    message_id = values["message_id"]
    values["message_id"] = _kept(message_id, "messageId") if message_id else str(uuid.uuid4())
    received = values["received_at"] = _utc(values["received_at"] or received_at, "receivedAt")
    original_field = "originalTimestamp" if values["original_timestamp"] else "timestamp"
    original = values["original_timestamp"] or values["timestamp"]
    original = _utc(original, original_field) if original else None
    sent = values["sent_at"] or sent_at
    sent = values["sent_at"] = _utc(sent, "sentAt") if sent else None
    if original is None:
        # No client time: the event happened when it was sent (or, without sentAt, when it
        # arrived), and timestamp == receivedAt. Logging that as originalTimestamp keeps the
        # logged form a fixed point of parsing: re-ingesting it cannot shift its timestamp.
        original = sent or received
    values["original_timestamp"] = original
    try:
        values["timestamp"] = correct_skew(original, sent, received)
    except OverflowError:
        # A client clock centuries off: receivedAt - (sentAt - timestamp) leaves datetime's range.
        msg = f"corrected for clock skew (sentAt {sent}) falls outside years 1-9999; got {original}"
        raise InvalidEvent(msg, field=original_field) from None
    kind = values["type"]
    values["channel"] = derive_channel(values["context"], kind, values["channel"])
    if kind == "track":
        try:
            values["properties"] = check_properties(values["event"], values["properties"])
        except ValidationError as exc:
            field, reason = _first_error(exc, prefix="properties.")
            raise InvalidEvent(reason, field=field) from None
    values["identities"] = _identities(values, phone_region)
    message.__pydantic_fields_set__.update(_NORMALIZED_TRACK if kind == "track" else _NORMALIZED)


def _utc(moment: datetime, field: str) -> datetime:
    if moment.tzinfo is UTC:
        return moment  # as as_utc would: astimezone to its own zone returns the same object
    try:
        return as_utc(moment)
    except OverflowError:
        msg = f"must fall within years 1-9999 once converted to UTC; got {moment.isoformat()}"
        raise InvalidEvent(msg, field=field) from None


def _identities(values: dict[str, Any], phone_region: str) -> list[Identifier]:
    """Collect the identifiers in a message's fields, normalising contact details in place."""
    found: list[Identifier] = []
    if values["anonymous_id"]:
        anonymous_id = _kept(values["anonymous_id"], "anonymousId")
        found.append(_identifier(Identifier, (_ANONYMOUS_ID, anonymous_id)))
    if values["user_id"]:
        found.append(_identifier(Identifier, (_USER_ID, _kept(values["user_id"], "userId"))))
    kind = values["type"]
    containers: list[tuple[str, dict[str, Any]]] = []
    if kind in ("identify", "group"):
        containers.append(("traits", values["traits"]))
    context = values["context"]
    ctx_traits = context.get("traits")
    if isinstance(ctx_traits, dict):
        # A copy: the caller's dict may be shared (a batch's common context), and normalising
        # it in place would strip the card token from every other message that shares it.
        ctx_traits = context["traits"] = dict(ctx_traits)
        containers.append(("context.traits", ctx_traits))
    if kind == "track":
        containers.append(("properties", values["properties"]))
    for where, bag in containers:
        if not _IDENTITY_KEYS.isdisjoint(bag):  # most bags hold none: a set operation says so
            found.extend(_identities_in(bag, where, phone_region))
    device = context.get("device")
    if isinstance(device, dict) and isinstance(device.get("id"), str) and device["id"]:
        device_id = _kept(device["id"], "context.device.id")
        found.append(_identifier(Identifier, (_DEVICE_ID, device_id)))
    if kind == "alias":
        # previousId is almost always the anonymous id the shopper had before signing in
        # (Segment's and RudderStack's SDKs alias anonymousId -> userId); keyed as such it
        # joins the anonymous history to the user.
        previous_id = _kept(values["previous_id"], "previousId")
        found.append(_identifier(Identifier, (_ANONYMOUS_ID, previous_id)))
    # Each repeat dropped, as list(dict.fromkeys(found)) would, without hashing the IdTypes
    # (an Enum's __hash__ is a Python call): a message has a handful of identifiers.
    unique: list[Identifier] = []
    for identifier in found:
        if identifier not in unique:
            unique.append(identifier)
    return unique


def _kept(value: str, field: str) -> str:
    """``value``, refused when a store could not keep it: an id or identifier is written to
    PostgreSQL's ``text`` (the archive, the identity graph), which refuses a NUL."""
    if "\x00" in value:
        raise InvalidEvent("must not contain a NUL character", field=field)
    return value


def _identities_in(bag: dict[str, Any], where: str, phone_region: str) -> list[Identifier]:
    found: list[Identifier] = []
    email = bag.get("email")
    if email is not None:
        local, at, domain = (
            email.strip().rpartition("@") if isinstance(email, str) else ("", "", "")
        )
        # str.split() breaks at exactly the characters str.isspace() names.
        if not (local and at and domain) or (local + domain).split() != [local + domain]:
            # "@" alone (or "a@") would become one identity shared by every such sender.
            raise InvalidEvent(f"must be an e-mail address; got {email!r}", field=f"{where}.email")
        bag["email"] = normalize_email(email)
        found.append(_identifier(Identifier, (_EMAIL, hash_identifier(bag["email"]))))
    phone = bag.get("phone")
    if phone is not None:
        if isinstance(phone, bool) or not isinstance(phone, str | int):
            # str() of a list or object would let phonenumbers fish digits out of its repr.
            raise InvalidEvent(f"must be a phone number; got {phone!r}", field=f"{where}.phone")
        try:
            bag["phone"] = normalize_phone(str(phone), phone_region)
        except ValueError as exc:
            raise InvalidEvent(f"{exc}; got {phone!r}", field=f"{where}.phone") from None
        found.append(_identifier(Identifier, (_PHONE, hash_identifier(bag["phone"]))))
    for id_type, keys in _TRAIT_KEYS.items():
        for key in keys:
            value = bag.get(key)
            if value is None or value == "":
                continue
            if isinstance(value, bool) or not isinstance(value, str | int):
                raise InvalidEvent(f"must be a string; got {value!r}", field=f"{where}.{key}")
            if id_type is IdType.CARD_TOKEN:
                # A POS card token is hashed on arrival and never kept raw.
                del bag[key]
                found.append(Identifier(id_type, hash_identifier(str(value))))
            else:
                found.append(Identifier(id_type, _kept(str(value), f"{where}.{key}")))
    return found
