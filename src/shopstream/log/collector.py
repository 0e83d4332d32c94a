"""Collection: validate a request's events, append the valid ones, dead-letter the rest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import orjson

from shopstream.core import Offset
from shopstream.events import (
    MAX_EVENT_BYTES,
    InvalidEvent,
    Message,
    message_to_json,
    parse_message,
    redact,
)
from shopstream.log.records import DeadLetter, Rejection
from shopstream.log.store import EventLog


@dataclass(frozen=True, slots=True)
class CollectResult:
    offsets: list[Offset]
    rejections: list[Rejection]


class Collector:
    """Turns raw Segment messages into appended events.

    Valid events are appended together in one durable batch; each invalid one is stored as a
    dead letter with its reason, and named in the result by index and field. The events beside
    a bad one are never lost.
    """

    def __init__(
        self,
        log: EventLog,
        *,
        max_event_bytes: int = MAX_EVENT_BYTES,
        phone_region: str = "US",
    ) -> None:
        self._log = log
        self._max_event_bytes = max_event_bytes
        self._phone_region = phone_region

    async def collect(
        self,
        raws: Sequence[object],
        *,
        source: str,
        received_at: datetime,
        sent_at: datetime | None = None,
        default_type: str | None = None,
        path: str = "batch",
    ) -> CollectResult:
        messages: list[Message] = []
        payloads: list[bytes] = []
        rejections: list[Rejection] = []
        letters: list[DeadLetter] = []
        single = len(raws) == 1 and path == ""
        for index, raw in enumerate(raws):
            prefix = "" if single else f"{path}[{index}]."
            try:
                message = parse_message(
                    raw,
                    source=source,
                    received_at=received_at,
                    sent_at=sent_at,
                    default_type=default_type,
                    phone_region=self._phone_region,
                    path=prefix,
                )
                payload = message_to_json(message)
                self._check_size(raw, payload, prefix)
            except InvalidEvent as exc:
                field = exc.field or "body"
                rejections.append(Rejection(index, field, exc.message))
                kept = orjson.dumps(redact(raw))  # never a raw card token, even rejected
                letters.append(DeadLetter(source, received_at, field, exc.message, kept))
            else:
                messages.append(message)
                payloads.append(payload)
        if letters:
            await self._log.dead_letter(letters)
        offsets = await self._log.append(messages, payloads=payloads) if messages else []
        return CollectResult(offsets, rejections)

    def _check_size(self, raw: object, payload: bytes, prefix: str) -> None:
        """Refuse an event of more than ``max_event_bytes`` as sent (as compact JSON).

        Its logged form, made anyway, is nearly always at least as big (normalisation adds
        identities and times; it drops only the nulls of top-level fields): only an event
        whose logged form is over the limit is measured as sent.
        """
        if len(payload) <= self._max_event_bytes:
            return
        size = len(orjson.dumps(raw))
        if size > self._max_event_bytes:
            field = prefix.rstrip(".") or "body"
            msg = f"{field}: event is {size:,} bytes; the limit is {self._max_event_bytes:,}"
            raise InvalidEvent(msg, field=field)
