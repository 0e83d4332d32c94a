"""The identity graph's guardrails: caps per identifier type, never-merge identifiers, expiry."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType

from shopstream.events import Identifier, IdType

DEFAULT_CAPS: Mapping[IdType, int] = MappingProxyType(
    {
        IdType.USER_ID: 1,
        IdType.LOYALTY_ID: 1,
        IdType.EMAIL: 5,
        IdType.PHONE: 5,
        IdType.CARD_TOKEN: 10,
        IdType.DEVICE_ID: 50,
        IdType.ANONYMOUS_ID: 50,
    }
)


@dataclass(frozen=True, slots=True)
class IdentityRules:
    """How far the graph may link identifiers, and how long anonymous customers live.

    Rules govern links made from now on: changing them does not split existing customers.

    Args:
        caps: the most identifiers of one type a customer may hold; a link that would pass a
            cap is refused. Types left out are uncapped.
        never_merge: identifiers that are resolved but never link two customers, such as a
            shared store kiosk's device id or a test account.
        anonymous_ttl: how long a customer holding only ``anonymousId``/``deviceId``
            identifiers lives without activity before :meth:`IdentityGraph.expire` drops it.
        max_refusals: how many recent refusals the graph keeps (they are also returned by
            every ``resolve``), so a customer pinned against a cap cannot grow memory.

    Examples:
        >>> IdentityRules(caps={IdType.USER_ID: 0})
        Traceback (most recent call last):
        ...
        ValueError: caps[userId] must be at least 1; got 0
    """

    caps: Mapping[IdType, int] = field(default_factory=lambda: DEFAULT_CAPS)
    never_merge: frozenset[Identifier] = field(default_factory=frozenset)
    anonymous_ttl: timedelta = timedelta(days=30)
    max_refusals: int = 10_000

    def __post_init__(self) -> None:
        for id_type, cap in self.caps.items():
            if cap < 1:
                msg = f"caps[{id_type}] must be at least 1; got {cap}"
                raise ValueError(msg)
        if self.anonymous_ttl <= timedelta(0):
            msg = f"anonymous_ttl must be positive; got {self.anonymous_ttl}"
            raise ValueError(msg)
        if self.max_refusals < 0:
            msg = f"max_refusals must be at least 0; got {self.max_refusals}"
            raise ValueError(msg)
        # Copies, so a caller mutating what they passed cannot change frozen rules.
        object.__setattr__(self, "caps", MappingProxyType(dict(self.caps)))
        object.__setattr__(self, "never_merge", _identifiers(self.never_merge))


def _identifiers(items: Iterable[Identifier]) -> frozenset[Identifier]:
    return frozenset(Identifier(IdType(item[0]), item[1]) for item in items)
