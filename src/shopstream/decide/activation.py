"""What a fired trigger hands to delivery: one :class:`Activation` per channel to send on.

Triggers run inside the stream processor, so a crash and replay fire them again. The
``key`` is therefore derived only from the trigger and the event that fired it (never
from wall-clock time or a random id): the sink ignores a key it already holds, and a
replay writes nothing new. ``put`` returns only once the activations are durable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from shopstream.core import CustomerId


@dataclass(frozen=True, slots=True)
class Activation:
    """One action to deliver to one customer on one channel.

    ``channel`` is where it goes (``webhook``, ``email``, ``sms``, ``push``, ``associate``,
    ``audience``); ``kind`` what it is (``offer``, ``message``, ``recommendation``,
    ``associate_alert``); ``payload`` is JSON-ready (content, items, store, zone, ...).
    """

    key: str
    customer_id: CustomerId
    channel: str
    kind: str
    trigger_id: str
    offer_id: str | None
    decision_id: str
    payload: Mapping[str, Any]
    at: datetime


class ActivationSink(Protocol):
    """Where fired triggers write (the deliver domain's durable outbox implements it)."""

    def put(self, activations: Sequence[Activation]) -> int:
        """Store durably; return how many were new (a key already held is ignored)."""
        ...


class MemoryActivationSink:
    """An :class:`ActivationSink` in memory: for tests and the library without an outbox.

    Examples:
        >>> from datetime import UTC, datetime
        >>> sink = MemoryActivationSink()
        >>> a = Activation("t:m1:c1", CustomerId("c1"), "email", "offer", "t", "o", "d1", {},
        ...                datetime(2026, 1, 1, tzinfo=UTC))
        >>> sink.put([a, a])
        1
    """

    def __init__(self) -> None:
        self.activations: dict[str, Activation] = {}

    def put(self, activations: Sequence[Activation]) -> int:
        new = 0
        for activation in activations:
            if activation.key not in self.activations:
                self.activations[activation.key] = activation
                new += 1
        return new
