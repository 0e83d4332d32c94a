from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shopstream.core import MessageId, Offset
from shopstream.events import Identifier, IdType
from shopstream.identity import IdentityRules, IdentityStore, MemoryIdentityStore, canonical_id
from shopstream.identity.graph import IdentityGraph

NOW = datetime(2026, 3, 1, tzinfo=UTC)
A1, A2 = Identifier(IdType.ANONYMOUS_ID, "a1"), Identifier(IdType.ANONYMOUS_ID, "a2")


async def test_memory_store_answers_like_the_graph() -> None:
    store: IdentityStore = MemoryIdentityStore(
        IdentityGraph(IdentityRules(anonymous_ttl=timedelta(days=1)))
    )
    await store.resolve([A1], offset=Offset(0), message_id=MessageId("m0"), now=NOW)
    await store.resolve([A2], offset=Offset(1), message_id=MessageId("m1"), now=NOW)
    merged = await store.resolve([A1, A2], offset=Offset(2), message_id=MessageId("m2"), now=NOW)
    customer = canonical_id(A1)
    assert merged.customer_id == customer
    assert await store.customer_of(A2) == customer
    assert await store.identifiers_of(customer) == (A1, A2)
    assert await store.merges_of(customer) == merged.merged
    split = await store.unmerge(merged.merged[0].id, now=NOW)
    assert split.loser_side.customer_id == canonical_id(A2)
    assert await store.expire(NOW + timedelta(days=2)) == [canonical_id(A1), canonical_id(A2)]
