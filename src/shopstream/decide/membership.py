"""Which segments a customer is in: the small port ad bids (and anything else) read.

The segments engine implements :class:`SegmentMembership` over its real-time membership;
:class:`StaticSegments` is the in-memory one for tests, benchmarks and fixed audiences
(a list uploaded by the retailer).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Protocol

from shopstream.core import CustomerId


class SegmentMembership(Protocol):
    def segments_of(self, customer_id: CustomerId) -> Collection[str]:
        """The names of the segments ``customer_id`` is in now (empty when none or unknown).

        Called on the ad-bid path: it must answer from memory, in microseconds.
        """
        ...


class StaticSegments:
    """A fixed membership: customer id to segment names.

    Examples:
        >>> StaticSegments({CustomerId("c1"): ["vip"]}).segments_of(CustomerId("c1"))
        frozenset({'vip'})
    """

    __slots__ = ("_members",)

    def __init__(self, members: Mapping[CustomerId, Iterable[str]] | None = None) -> None:
        self._members: dict[CustomerId, frozenset[str]] = {
            customer: frozenset(names) for customer, names in (members or {}).items()
        }

    def segments_of(self, customer_id: CustomerId) -> Collection[str]:
        return self._members.get(customer_id, frozenset())
