"""The checks that refuse a link: caps per identifier type, and pairs an admin split."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Set

from shopstream.core import CustomerId
from shopstream.events import IdType
from shopstream.identity.keys import type_of_key


def cap_exceeded(first: list[str], second: list[str], caps: Mapping[IdType, int]) -> IdType | None:
    """The first type (alphabetically) whose cap the union of two clusters would pass."""
    counts = Counter(type_of_key(key) for key in (*first, *second))
    for id_type, count in sorted(counts.items()):
        cap = caps.get(id_type)
        if cap is not None and count > cap:
            return id_type
    return None


def forbidden_between(
    small: list[str],
    large: CustomerId,
    owner: Mapping[str, CustomerId],
    forbidden: Mapping[str, Set[str]],
) -> bool:
    """Whether a key of ``small`` is forbidden to share a customer with a key of ``large``."""
    for key in small:
        if any(owner.get(partner) == large for partner in forbidden.get(key, ())):
            return True
    return False
