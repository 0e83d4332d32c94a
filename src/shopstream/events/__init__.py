"""The event model: Segment's message types, the e-commerce vocabulary and normalisation."""

from __future__ import annotations

from shopstream.events.errors import EventError, EventTooLarge, InvalidEvent
from shopstream.events.logged import message_from_json
from shopstream.events.models import (
    MESSAGE_MODELS,
    Alias,
    Group,
    Identifier,
    Identify,
    Message,
    Page,
    Screen,
    Track,
    message_to_json,
)
from shopstream.events.normalize import (
    as_utc,
    correct_skew,
    derive_channel,
    hash_identifier,
    normalize_email,
    normalize_phone,
)
from shopstream.events.parse import parse_message
from shopstream.events.properties import PROPERTY_MODELS, ProductItem, check_properties
from shopstream.events.redact import redact
from shopstream.events.vocabulary import (
    ADMIN_SOURCE,
    ADMIN_USER,
    HASHED_ID_TYPES,
    MAX_EVENT_BYTES,
    AdminEvent,
    Channel,
    EventName,
    IdType,
    MessageType,
)

__all__ = (
    "ADMIN_SOURCE",
    "ADMIN_USER",
    "HASHED_ID_TYPES",
    "MAX_EVENT_BYTES",
    "MESSAGE_MODELS",
    "PROPERTY_MODELS",
    "AdminEvent",
    "Alias",
    "Channel",
    "EventError",
    "EventName",
    "EventTooLarge",
    "Group",
    "IdType",
    "Identifier",
    "Identify",
    "InvalidEvent",
    "Message",
    "MessageType",
    "Page",
    "ProductItem",
    "Screen",
    "Track",
    "as_utc",
    "check_properties",
    "correct_skew",
    "derive_channel",
    "hash_identifier",
    "message_from_json",
    "message_to_json",
    "normalize_email",
    "normalize_phone",
    "parse_message",
    "redact",
)
