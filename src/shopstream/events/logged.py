"""Messages read back from the log, without validating them a second time.

Everything in the log was written by :func:`~shopstream.events.message_to_json` from a
message that :func:`~shopstream.events.parse_message` had validated and normalised, so the
stream processors, which read every logged event, need no validation to read it back: they
need the same model, built faster. :func:`message_from_json` decodes the JSON with orjson
and builds the model directly (as pydantic's ``model_construct`` does), converting only what
JSON cannot carry: timestamps, the channel and the identities. Its times carry
``datetime.timezone.utc``, one object for all: ``timestamp()`` and comparisons, which the
processors do several times an event, are three times faster with it than with pydantic's
``TzInfo`` (one object per value parsed).

Anything that is not in exactly the logged shape (an unknown type, a missing required field,
a field under its Python name or of another JSON type, a blank or missing shopper id, a
timestamp or identity of another form, JSON orjson rejects) is handed to pydantic's full
validation instead, which reads it or raises as it always has. Both paths give equal
messages with the same fields set; the tests check that on generated messages. What is not
checked again is what only validation at the door could have let through: string lengths.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from shopstream.events.models import MESSAGE_MODELS, Identifier, Message, _Message
from shopstream.events.models import message_from_json as _validate_json
from shopstream.events.vocabulary import Channel, IdType

_set = object.__setattr__
_new_identifier = tuple.__new__
_ID_TYPES: dict[str, IdType] = {str(t): t for t in IdType}
_CHANNELS: dict[str, Channel] = {str(c): c for c in Channel}
_TIMES = (
    ("timestamp", "timestamp"),
    ("original_timestamp", "originalTimestamp"),
    ("sent_at", "sentAt"),
    ("received_at", "receivedAt"),
)
_MAX_LAYOUTS = 4096


class _NotLogged(Exception):
    """The payload is not in the shape the log writes: validate it instead."""


@dataclass(frozen=True, slots=True)
class _Layout:
    """How to build a model from a payload with one sequence of keys.

    Logged messages of one kind share their keys, in the same order, so this is worked out
    once per sequence, and each message is then built with a few dict operations.
    """

    model: type[_Message]
    defaults: dict[str, Any]  # every field, in field order, with its default
    names: tuple[str, ...]  # the field of each key, in the payload's order
    fields_set: frozenset[str]
    factories: tuple[tuple[str, Callable[[], Any]], ...]  # missing fields made by a factory
    extras: tuple[str, ...]  # keys that are no field (the model keeps them as extras)
    kinds: tuple[tuple[str, type], ...]  # the JSON type each present field must have


def _layout(kind: str, keys: tuple[str, ...]) -> _Layout:
    model = MESSAGE_MODELS[kind]
    if model.__pydantic_post_init__ or model.__pydantic_root_model__:
        msg = f"{model.__name__} needs model_post_init; message_from_json cannot build it"
        raise TypeError(msg)
    by_key = {info.alias or name: name for name, info in model.__pydantic_fields__.items()}
    renamed = {name for key, name in by_key.items() if key != name}
    fields = [key for key in keys if key in by_key]
    extras = tuple(key for key in keys if key not in by_key)
    if renamed.intersection(extras):
        raise _NotLogged  # pydantic would read ``message_id`` as that field, not as an extra
    present = {by_key[key] for key in fields}
    defaults: dict[str, Any] = {}
    factories = []
    for name, info in model.__pydantic_fields__.items():
        if name in present:
            defaults[name] = None
        elif info.is_required():
            raise _NotLogged
        elif info.default_factory is not None:
            defaults[name] = None
            factories.append((name, info.default_factory))
        else:
            defaults[name] = info.default
    kinds = []
    for name in present:
        kind = _json_type(model.__pydantic_fields__[name].annotation)
        if kind is not None:
            kinds.append((name, kind))
    return _Layout(
        model=model,
        defaults=defaults,
        names=tuple(by_key[key] for key in fields),
        fields_set=frozenset(present).union(extras),  # pydantic counts extras as set
        factories=tuple(factories),  # type: ignore[arg-type]
        extras=extras,
        kinds=tuple(kinds),
    )


def _json_type(annotation: Any) -> type | None:
    """``str``, ``dict`` or ``list`` for a field of that JSON type (optional or literal)."""
    if annotation is str:
        return str
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return str
    if origin in (dict, list):
        return origin  # type: ignore[no-any-return]
    if origin in (typing.Union, types.UnionType):
        kinds = {_json_type(arg) for arg in typing.get_args(annotation) if arg is not type(None)}
        return kinds.pop() if len(kinds) == 1 else None
    return None


_LAYOUTS: dict[tuple[str, tuple[str, ...]], _Layout] = {}


def message_from_json(data: bytes | str) -> Message:
    """Read back a logged (already validated and normalised) message.

    Examples:
        >>> from datetime import UTC, datetime
        >>> from shopstream.events import message_to_json, parse_message
        >>> m = parse_message({"type": "track", "event": "Product Viewed", "userId": "u1"},
        ...                   source="s", received_at=datetime(2026, 1, 1, tzinfo=UTC))
        >>> message_from_json(message_to_json(m)) == m
        True
    """
    try:
        return _build(orjson.loads(data))
    except (_NotLogged, ValueError, TypeError, KeyError):
        return _validate_json(data)


def _build(raw: dict[str, Any]) -> Message:
    signature = (raw["type"], tuple(raw))
    layout = _LAYOUTS.get(signature)
    if layout is None:
        layout = _layout(*signature)
        if len(_LAYOUTS) < _MAX_LAYOUTS:
            _LAYOUTS[signature] = layout
    values = layout.defaults.copy()
    extra = {key: raw.pop(key) for key in layout.extras} if layout.extras else {}
    values.update(zip(layout.names, raw.values(), strict=True))
    for name, factory in layout.factories:
        values[name] = factory()
    for name, kind in layout.kinds:
        if type(values[name]) is not kind:
            raise _NotLogged
    # What the model's validators would change or refuse (never so in what the log holds).
    user_id, anonymous_id = values["user_id"], values["anonymous_id"]
    if (user_id is not None and (not user_id or user_id.isspace())) or (
        anonymous_id is not None and (not anonymous_id or anonymous_id.isspace())
    ):
        raise _NotLogged
    if user_id is None and anonymous_id is None:
        raise _NotLogged
    for name, key in _TIMES:
        if key in raw:
            moment = values[name] = datetime.fromisoformat(raw[key])
            if moment.tzinfo is None:  # logged times are all UTC
                raise _NotLogged
    if "channel" in raw:
        values["channel"] = _CHANNELS[raw["channel"]]
    identities = []
    for id_type, id_value in values["identities"]:
        if type(id_value) is not str:
            raise _NotLogged
        identities.append(_new_identifier(Identifier, (_ID_TYPES[id_type], id_value)))
    values["identities"] = identities
    message = layout.model.__new__(layout.model)
    _set(message, "__dict__", values)
    _set(message, "__pydantic_fields_set__", set(layout.fields_set))
    _set(message, "__pydantic_extra__", extra)
    _set(message, "__pydantic_private__", None)
    return message  # type: ignore[return-value]
