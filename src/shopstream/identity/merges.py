"""What the graph reports and records: merges, refused links, resolutions and splits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypedDict

from shopstream.core import CustomerId, MessageId, Offset
from shopstream.events import Identifier, IdType
from shopstream.identity.keys import identifier_of, key_from_text, key_of, key_to_text


@dataclass(frozen=True, slots=True)
class Merge:
    """One customer (``loser``) absorbed into another (``winner``) by one event.

    ``winner`` is the customer whose id survives: the side holding the higher-priority
    identifier. It may be a customer first seen in the same event (a shopper's first login
    renames their anonymous customer to the one named by their ``userId``); the profiles
    domain moves the loser's state to the winner either way.

    Attributes:
        link: the two identifiers of the event that joined the sides, winner's side first;
            undoing the merge cuts exactly this link. (The event's other identifiers are
            in the log at ``offset``; keeping them here would double a merge's memory.)
    """

    winner: CustomerId
    loser: CustomerId
    link: tuple[Identifier, Identifier]
    offset: Offset
    message_id: MessageId
    at: datetime

    @property
    def id(self) -> str:
        """``"<offset>:<loser>"``: stable under replay, unique as an event merges a loser once."""
        return f"{self.offset}:{self.loser}"


class RefusalReason(StrEnum):
    CAP = "cap"
    """The merged customer would hold more identifiers of ``id_type`` than its cap."""
    FORBIDDEN = "forbidden"
    """An admin split these customers apart (see :meth:`IdentityGraph.unmerge`)."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """A link the guardrails refused: ``refused`` keeps (or starts) its own customer.

    Attributes:
        customer_id: the customer the event resolved to.
        refused: the customer that was kept apart from it.
        link: the event's identifiers on each side, ``customer_id``'s side first.
        id_type: the capped type, for :attr:`RefusalReason.CAP`.
    """

    customer_id: CustomerId
    refused: CustomerId
    link: tuple[Identifier, Identifier]
    reason: RefusalReason
    id_type: IdType | None
    offset: Offset
    message_id: MessageId
    at: datetime


@dataclass(frozen=True, slots=True)
class Resolution:
    """What ``resolve`` made of one event.

    Attributes:
        customer_id: the customer the event belongs to: the one holding the event's
            highest-priority linkable identifier, after this event's merges.
        merged: merges this event caused, in the order they happened.
        refused: links this event asked for and the guardrails refused.
    """

    customer_id: CustomerId
    merged: tuple[Merge, ...] = ()
    refused: tuple[Refusal, ...] = ()


@dataclass(frozen=True, slots=True)
class Side:
    """One customer an unmerge left, with every identifier it now holds."""

    customer_id: CustomerId
    identifiers: tuple[Identifier, ...]


@dataclass(frozen=True, slots=True)
class Split:
    """The result of undoing a merge.

    Attributes:
        undone: the merge, now gone from the history.
        previous: the customer that was split; it may live on as one of the sides.
        winner_side: the side holding ``undone.link[0]``.
        loser_side: the side holding ``undone.link[1]``.
    """

    undone: Merge
    previous: CustomerId
    winner_side: Side
    loser_side: Side


class MergeJson(TypedDict):
    winner: str
    loser: str
    link: list[str]
    offset: int
    message_id: str
    at: str


class RefusalJson(TypedDict):
    customer_id: str
    refused: str
    link: list[str]
    reason: str
    id_type: str | None
    offset: int
    message_id: str
    at: str


def _texts(identifiers: tuple[Identifier, ...]) -> list[str]:
    return [key_to_text(key_of(identifier)) for identifier in identifiers]


def _identifiers(texts: list[str]) -> tuple[Identifier, ...]:
    return tuple(identifier_of(key_from_text(text)) for text in texts)


def _pair(texts: list[str]) -> tuple[Identifier, Identifier]:
    first, second = _identifiers(texts)
    return (first, second)


def merge_to_json(merge: Merge) -> MergeJson:
    return MergeJson(
        winner=merge.winner,
        loser=merge.loser,
        link=_texts(merge.link),
        offset=merge.offset,
        message_id=merge.message_id,
        at=merge.at.isoformat(),
    )


def merge_from_json(data: MergeJson) -> Merge:
    return Merge(
        winner=CustomerId(data["winner"]),
        loser=CustomerId(data["loser"]),
        link=_pair(data["link"]),
        offset=Offset(data["offset"]),
        message_id=MessageId(data["message_id"]),
        at=datetime.fromisoformat(data["at"]),
    )


def refusal_to_json(refusal: Refusal) -> RefusalJson:
    return RefusalJson(
        customer_id=refusal.customer_id,
        refused=refusal.refused,
        link=_texts(refusal.link),
        reason=refusal.reason,
        id_type=refusal.id_type,
        offset=refusal.offset,
        message_id=refusal.message_id,
        at=refusal.at.isoformat(),
    )


def refusal_from_json(data: RefusalJson) -> Refusal:
    id_type = data["id_type"]
    return Refusal(
        customer_id=CustomerId(data["customer_id"]),
        refused=CustomerId(data["refused"]),
        link=_pair(data["link"]),
        reason=RefusalReason(data["reason"]),
        id_type=None if id_type is None else IdType(id_type),
        offset=Offset(data["offset"]),
        message_id=MessageId(data["message_id"]),
        at=datetime.fromisoformat(data["at"]),
    )
