"""The identity store protocol that backends implement, and its in-memory implementation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from shopstream.core import CustomerId, MessageId, Offset
from shopstream.events import Identifier
from shopstream.identity.graph import IdentityGraph
from shopstream.identity.merges import Merge, Resolution, Split


class IdentityStore(Protocol):
    """Identifiers -> customers, as :class:`IdentityGraph` defines the semantics.

    Redis and PostgreSQL backends in ``storage/`` implement this; every implementation must
    give the same answers as the in-memory graph for the same calls.
    """

    async def resolve(
        self,
        identifiers: Sequence[Identifier],
        *,
        offset: Offset,
        message_id: MessageId,
        now: datetime,
    ) -> Resolution: ...

    async def customer_of(self, identifier: Identifier) -> CustomerId | None: ...

    async def identifiers_of(self, customer_id: CustomerId) -> tuple[Identifier, ...]: ...

    async def merges_of(self, customer_id: CustomerId) -> tuple[Merge, ...]: ...

    async def unmerge(self, merge_id: str, *, now: datetime) -> Split: ...

    async def expire(self, now: datetime) -> list[CustomerId]: ...


class MemoryIdentityStore:
    """The embedded store: an async face on one in-memory :class:`IdentityGraph`.

    The processor snapshots :attr:`graph` with the log offset it reflects.
    """

    def __init__(self, graph: IdentityGraph | None = None) -> None:
        self.graph = graph if graph is not None else IdentityGraph()

    async def resolve(
        self,
        identifiers: Sequence[Identifier],
        *,
        offset: Offset,
        message_id: MessageId,
        now: datetime,
    ) -> Resolution:
        return self.graph.resolve(identifiers, offset=offset, message_id=message_id, now=now)

    async def customer_of(self, identifier: Identifier) -> CustomerId | None:
        return self.graph.customer_of(identifier)

    async def identifiers_of(self, customer_id: CustomerId) -> tuple[Identifier, ...]:
        return self.graph.identifiers_of(customer_id)

    async def merges_of(self, customer_id: CustomerId) -> tuple[Merge, ...]:
        return self.graph.merges_of(customer_id)

    async def unmerge(self, merge_id: str, *, now: datetime) -> Split:
        return self.graph.unmerge(merge_id, now=now)

    async def expire(self, now: datetime) -> list[CustomerId]:
        return self.graph.expire(now)
