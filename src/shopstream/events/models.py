"""Pydantic models of the six Segment message types, as they arrive and as they are logged.

A message is parsed from the wire by :func:`shopstream.events.parse_message`, which also
normalises it; what is appended to the log is the normalised message, serialised by alias
(camelCase, as in Segment's spec), so a logged event reads like the event that was sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, NamedTuple

import orjson
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator
from pydantic_core import PydanticCustomError

from shopstream.events.vocabulary import Channel, IdType


class Identifier(NamedTuple):
    """One identifier of a customer; hashed types carry the SHA-256 of the normalised value."""

    type: IdType
    value: str


# A dict, not Channel(value): this runs for every message parsed, and every one read back.
_CHANNEL_HINTS: dict[str, Channel] = {str(c): c for c in Channel} | {"mobile": Channel.APP}


class _Message(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        serialize_by_alias=True,
        coerce_numbers_to_str=True,
        str_max_length=8192,
    )

    message_id: str | None = Field(default=None, alias="messageId", min_length=1, max_length=256)
    anonymous_id: str | None = Field(default=None, alias="anonymousId", max_length=256)
    user_id: str | None = Field(default=None, alias="userId", max_length=256)
    timestamp: datetime | None = None
    original_timestamp: datetime | None = Field(default=None, alias="originalTimestamp")
    sent_at: datetime | None = Field(default=None, alias="sentAt")
    received_at: datetime | None = Field(default=None, alias="receivedAt")
    context: dict[str, Any] = Field(default_factory=dict)
    integrations: dict[str, Any] = Field(default_factory=dict)
    # Filled by normalisation:
    channel: Channel | None = None
    source: str | None = None
    identities: list[Identifier] = Field(default_factory=list)

    @field_validator("channel", mode="before")
    @classmethod
    def _channel_hint(cls, value: object) -> Channel | None:
        """A top-level ``channel`` is a hint: RudderStack's SDKs send ``mobile``, ``web``..."""
        return _CHANNEL_HINTS.get(value.lower()) if isinstance(value, str) else None

    @field_validator("anonymous_id", "user_id", mode="after")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return value

    @model_validator(mode="after")
    def _someone(self) -> _Message:
        if self.user_id is None and self.anonymous_id is None:
            raise PydanticCustomError("identity_required", "userId or anonymousId is required")
        return self

    @property
    def dedupe_key(self) -> tuple[str, str]:
        """``(source, messageId)``: a repeat of this pair is never appended twice."""
        return (self.source or "", self.message_id or "")


class Track(_Message):
    type: Literal["track"] = "track"
    event: str = Field(min_length=1, max_length=512)
    properties: dict[str, Any] = Field(default_factory=dict)


class Identify(_Message):
    type: Literal["identify"] = "identify"
    traits: dict[str, Any] = Field(default_factory=dict)


class Page(_Message):
    type: Literal["page"] = "page"
    name: str | None = None
    category: str | None = None
    properties: dict[str, Any] = Field(default_factory=dict)


class Screen(_Message):
    type: Literal["screen"] = "screen"
    name: str | None = None
    category: str | None = None
    properties: dict[str, Any] = Field(default_factory=dict)


class Group(_Message):
    type: Literal["group"] = "group"
    group_id: str = Field(alias="groupId", min_length=1, max_length=256)
    traits: dict[str, Any] = Field(default_factory=dict)


class Alias(_Message):
    type: Literal["alias"] = "alias"
    previous_id: str = Field(alias="previousId", min_length=1, max_length=256)


Message = Annotated[Track | Identify | Page | Screen | Group | Alias, Field(discriminator="type")]
MESSAGE_MODELS: dict[str, type[_Message]] = {
    "track": Track,
    "identify": Identify,
    "page": Page,
    "screen": Screen,
    "group": Group,
    "alias": Alias,
}
_MESSAGE_ADAPTER: TypeAdapter[Message] = TypeAdapter(Message)


def message_from_json(data: bytes | str) -> Message:
    """Read back a logged (already normalised) message."""
    return _MESSAGE_ADAPTER.validate_json(data)


def message_to_json(message: Message) -> bytes:
    """The logged form of a message: camelCase JSON, ``None`` fields left out.

    The same bytes as ``model_dump_json(exclude_none=True)``, written by orjson from the
    model's fields in 60% of the time. Values orjson does not write as pydantic does
    (non-string keys, sets, bytes, integers past 64 bits...) make orjson raise; those
    messages take pydantic's path.
    """
    try:
        return orjson.dumps(_logged_form(message), option=orjson.OPT_UTC_Z)
    except (TypeError, KeyError):  # orjson.JSONEncodeError is a TypeError
        return message.model_dump_json(exclude_none=True).encode()


def _logged_form(message: _Message) -> dict[str, Any]:
    """The message as a dict of JSON values: fields by alias in order, then extras."""
    keys = _LOGGED_KEYS.get(type(message))
    if keys is None:
        keys = _LOGGED_KEYS[type(message)] = [
            (name, info.serialization_alias or info.alias or name)
            for name, info in type(message).model_fields.items()
        ]
    values = message.__dict__
    logged = {key: values[name] for name, key in keys if values[name] is not None}
    if "identities" in logged:
        # A NamedTuple is no JSON array to orjson; pydantic writes each as [type, value].
        logged["identities"] = [list(identifier) for identifier in logged["identities"]]
    if message.__pydantic_extra__:
        logged.update(
            (key, value) for key, value in message.__pydantic_extra__.items() if value is not None
        )
    return logged


_LOGGED_KEYS: dict[type[_Message], list[tuple[str, str]]] = {}
