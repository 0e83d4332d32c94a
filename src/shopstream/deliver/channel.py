"""The :class:`Channel` protocol: ``send`` one delivery, answer a :class:`Receipt`.

A channel never raises for a failed send: it answers ``retry`` (the receiver was down,
slow, or asked to slow down) or ``reject`` (it will never accept this one: a 4xx, no
contact details, no consent), and the deliverer turns that into a retry or a dead letter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from shopstream.core import CustomerId
from shopstream.decide import Activation


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who a delivery goes to, read from the live profile at send time.

    ``traits`` hold the contact details (``email``, ``phone``, ``push_token``, names):
    they are used to address and render the message and never logged or stored.
    ``consent`` maps a purpose (``email``, ``sms``, ``push``, ``ads``) to the shopper's
    latest choice; a purpose absent from it was never asked. ``items`` are the recommended
    products of the activation with their catalogue fields (name, price, url, ...).
    """

    customer_id: CustomerId
    traits: Mapping[str, Any] = field(default_factory=dict)
    consent: Mapping[str, bool] = field(default_factory=dict)
    items: Sequence[Mapping[str, Any]] = ()


class Recipients(Protocol):
    """Looks up the :class:`Recipient` of an activation (the engine reads live profiles)."""

    def recipient(self, activation: Activation) -> Recipient: ...


class Outcome(StrEnum):
    SENT = "sent"
    DELIVERED = "delivered"
    RETRY = "retry"
    REJECT = "reject"


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a send came to; ``retry_after`` is the receiver's ``Retry-After``, if any."""

    outcome: Outcome
    detail: str = ""
    retry_after: float | None = None

    @classmethod
    def delivered(cls, detail: str = "") -> Receipt:
        return cls(Outcome.DELIVERED, detail)

    @classmethod
    def sent(cls, detail: str = "") -> Receipt:
        return cls(Outcome.SENT, detail)

    @classmethod
    def retry(cls, detail: str, retry_after: float | None = None) -> Receipt:
        return cls(Outcome.RETRY, detail, retry_after)

    @classmethod
    def reject(cls, detail: str) -> Receipt:
        return cls(Outcome.REJECT, detail)


class Channel(Protocol):
    """Sends one activation to its recipient on one channel."""

    async def send(self, activation: Activation, recipient: Recipient) -> Receipt: ...


def activation_body(activation: Activation) -> dict[str, Any]:
    """The JSON every webhook receives for an activation (camelCase, as on every wire)."""
    return {
        "key": activation.key,
        "customerId": activation.customer_id,
        "channel": activation.channel,
        "kind": activation.kind,
        "triggerId": activation.trigger_id,
        "offerId": activation.offer_id,
        "decisionId": activation.decision_id,
        "payload": dict(activation.payload),
        "at": activation.at.isoformat(),
    }
