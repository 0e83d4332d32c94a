"""How the graph keys identifiers, ranks them and names the customer a cluster is.

Internally an identifier is one ``str``: its type's rank digit followed by its value
(``"0u-42"`` is ``userId u-42``). That is smaller than a tuple of two strings, and plain string
order is then the priority order: by type rank first, then by value.
"""

from __future__ import annotations

from collections.abc import Iterable

from shopstream.core import CustomerId, stable_hex
from shopstream.events import Identifier, IdType
from shopstream.identity.errors import InvalidIdentityInput

PRIORITY: tuple[IdType, ...] = (
    IdType.USER_ID,
    IdType.LOYALTY_ID,
    IdType.EMAIL,
    IdType.PHONE,
    IdType.CARD_TOKEN,
    IdType.DEVICE_ID,
    IdType.ANONYMOUS_ID,
)
"""Identifier types from the most to the least trusted; the first names the customer."""

ANONYMOUS_TYPES = frozenset({IdType.DEVICE_ID, IdType.ANONYMOUS_ID})

_RANK: dict[str, str] = {str(id_type): str(rank) for rank, id_type in enumerate(PRIORITY)}
_TYPE: dict[str, IdType] = {str(rank): id_type for rank, id_type in enumerate(PRIORITY)}
_TYPE_NAME: dict[str, str] = {str(rank): str(id_type) for rank, id_type in enumerate(PRIORITY)}
_FIRST_ANONYMOUS_RANK = min(_RANK[str(id_type)] for id_type in ANONYMOUS_TYPES)


def canonical_id(identifier: Identifier) -> CustomerId:
    """The id of the customer whose highest-priority identifier is ``identifier``.

    Every backend computes the same id from the same identifier, so a known customer's id is
    a pure function of their ``userId`` (capped at one per customer by default).

    Examples:
        >>> canonical_id(Identifier(IdType.USER_ID, "u-42"))
        'c_2a3b685d60ba41d5'
    """
    return _customer_id(f"{identifier.type}:{identifier.value}")


def _customer_id(text: str) -> CustomerId:
    return CustomerId("c_" + stable_hex(text))


def key_of(identifier: Identifier) -> str:
    """The graph's key for ``identifier``."""
    return _key(identifier.type, identifier.value)


def _key(id_type: str, value: str) -> str:
    rank = _RANK.get(id_type)
    if rank is None:
        msg = f"identifier type must be one of {[str(t) for t in PRIORITY]}; got {id_type!r}"
        raise InvalidIdentityInput(msg, field="type")
    return rank + value


def sorted_keys(identifiers: Iterable[Identifier]) -> list[str]:
    """The keys of ``identifiers``, without repeats, in priority order (as ``sorted`` gives)."""
    keys = set()
    for identifier in identifiers:
        rank = _RANK.get(identifier[0])
        keys.add(key_of(identifier) if rank is None else rank + identifier[1])
    return sorted(keys)


def identifier_of(key: str) -> Identifier:
    """The identifier a key stands for (the inverse of :func:`key_of`)."""
    return Identifier(_TYPE[key[0]], key[1:])


def customer_of_key(key: str) -> CustomerId:
    """The canonical id of a cluster whose anchor (smallest key) is ``key``."""
    return _customer_id(f"{_TYPE_NAME[key[0]]}:{key[1:]}")


def type_of_key(key: str) -> IdType:
    return _TYPE[key[0]]


def is_anonymous(anchor: str) -> bool:
    """Whether a cluster with this anchor holds only anonymous identifiers.

    The anchor is the cluster's smallest key and anonymous types rank last, so the anchor
    alone decides.
    """
    return anchor[0] >= _FIRST_ANONYMOUS_RANK


def key_to_text(key: str) -> str:
    """The readable, stable form of a key used in snapshots: ``"userId:u-42"``."""
    return f"{_TYPE[key[0]]}:{key[1:]}"


def key_from_text(text: str) -> str:
    """The inverse of :func:`key_to_text`."""
    id_type, sep, value = text.partition(":")
    if not sep:
        msg = f"identifier must read 'type:value'; got {text!r}"
        raise InvalidIdentityInput(msg, field="identifier")
    return _key(id_type, value)
