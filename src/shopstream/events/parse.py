"""From a raw JSON object to a validated, normalised message."""

from __future__ import annotations

import uuid
from datetime import datetime
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
        message: Message = model.model_validate({**raw, "type": kind})  # type: ignore[assignment]
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


def _normalize(
    message: Message,
    *,
    source: str,
    received_at: datetime,
    sent_at: datetime | None,
    phone_region: str,
) -> None:
    message.source = source
    message.message_id = message.message_id or str(uuid.uuid4())
    message.received_at = _utc(message.received_at or received_at, "receivedAt")
    original_field = "originalTimestamp" if message.original_timestamp else "timestamp"
    original = message.original_timestamp or message.timestamp
    message.original_timestamp = _utc(original, original_field) if original else None
    sent = message.sent_at or sent_at
    message.sent_at = _utc(sent, "sentAt") if sent else None
    if message.original_timestamp is None:
        # No client time: the event happened when it was sent (or, without sentAt, when it
        # arrived), and timestamp == receivedAt. Logging that as originalTimestamp keeps the
        # logged form a fixed point of parsing: re-ingesting it cannot shift its timestamp.
        message.original_timestamp = message.sent_at or message.received_at
    try:
        message.timestamp = correct_skew(
            message.original_timestamp, message.sent_at, message.received_at
        )
    except OverflowError:
        # A client clock centuries off: receivedAt - (sentAt - timestamp) leaves datetime's range.
        msg = (
            f"corrected for clock skew (sentAt {message.sent_at}) falls outside years 1-9999; "
            f"got {message.original_timestamp}"
        )
        raise InvalidEvent(msg, field=original_field) from None
    message.channel = derive_channel(message.context, message.type, message.channel)
    if message.type == "track":
        try:
            message.properties = check_properties(message.event, message.properties)
        except ValidationError as exc:
            field, reason = _first_error(exc, prefix="properties.")
            raise InvalidEvent(reason, field=field) from None
    message.identities = _identities(message, phone_region)


def _utc(moment: datetime, field: str) -> datetime:
    try:
        return as_utc(moment)
    except OverflowError:
        msg = f"must fall within years 1-9999 once converted to UTC; got {moment.isoformat()}"
        raise InvalidEvent(msg, field=field) from None


def _identities(message: Message, phone_region: str) -> list[Identifier]:
    """Collect the identifiers a message carries, normalising contact details in place."""
    found: list[Identifier] = []
    if message.anonymous_id:
        found.append(Identifier(IdType.ANONYMOUS_ID, message.anonymous_id))
    if message.user_id:
        found.append(Identifier(IdType.USER_ID, message.user_id))
    containers: list[tuple[str, dict[str, Any]]] = []
    if message.type in ("identify", "group"):
        containers.append(("traits", message.traits))  # type: ignore[union-attr]
    ctx_traits = message.context.get("traits")
    if isinstance(ctx_traits, dict):
        # A copy: the caller's dict may be shared (a batch's common context), and normalising
        # it in place would strip the card token from every other message that shares it.
        ctx_traits = message.context["traits"] = dict(ctx_traits)
        containers.append(("context.traits", ctx_traits))
    if message.type == "track":
        containers.append(("properties", message.properties))
    for where, bag in containers:
        found.extend(_identities_in(bag, where, phone_region))
    device = message.context.get("device")
    if isinstance(device, dict) and isinstance(device.get("id"), str) and device["id"]:
        found.append(Identifier(IdType.DEVICE_ID, device["id"]))
    if message.type == "alias":
        # previousId is almost always the anonymous id the shopper had before signing in
        # (Segment's and RudderStack's SDKs alias anonymousId -> userId); keyed as such it
        # joins the anonymous history to the user.
        previous = Identifier(IdType.ANONYMOUS_ID, message.previous_id)  # type: ignore[union-attr]
        found.append(previous)
    return list(dict.fromkeys(found))


def _identities_in(bag: dict[str, Any], where: str, phone_region: str) -> list[Identifier]:
    found: list[Identifier] = []
    email = bag.get("email")
    if email is not None:
        local, at, domain = (
            email.strip().rpartition("@") if isinstance(email, str) else ("", "", "")
        )
        if not (local and at and domain) or any(c.isspace() for c in local + domain):
            # "@" alone (or "a@") would become one identity shared by every such sender.
            raise InvalidEvent(f"must be an e-mail address; got {email!r}", field=f"{where}.email")
        bag["email"] = normalize_email(email)
        found.append(Identifier(IdType.EMAIL, hash_identifier(bag["email"])))
    phone = bag.get("phone")
    if phone is not None:
        if isinstance(phone, bool) or not isinstance(phone, str | int):
            # str() of a list or object would let phonenumbers fish digits out of its repr.
            raise InvalidEvent(f"must be a phone number; got {phone!r}", field=f"{where}.phone")
        try:
            bag["phone"] = normalize_phone(str(phone), phone_region)
        except ValueError as exc:
            raise InvalidEvent(f"{exc}; got {phone!r}", field=f"{where}.phone") from None
        found.append(Identifier(IdType.PHONE, hash_identifier(bag["phone"])))
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
                found.append(Identifier(id_type, str(value)))
    return found
