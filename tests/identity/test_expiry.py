from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shopstream.core import MessageId, Offset
from shopstream.events import Identifier, IdType
from shopstream.identity import IdentityGraph, IdentityRules, canonical_id

T0 = datetime(2026, 3, 1, tzinfo=UTC)
DAY = timedelta(days=1)
U1 = Identifier(IdType.USER_ID, "u1")
A1, A2, A3 = (Identifier(IdType.ANONYMOUS_ID, f"a{i}") for i in (1, 2, 3))
D1 = Identifier(IdType.DEVICE_ID, "d1")


def graph_with(*events: tuple[datetime, tuple[Identifier, ...]]) -> IdentityGraph:
    graph = IdentityGraph(IdentityRules(anonymous_ttl=7 * DAY))
    for offset, (moment, identifiers) in enumerate(events):
        graph.resolve(identifiers, offset=Offset(offset), message_id=MessageId("m"), now=moment)
    return graph


def test_inactive_anonymous_customers_expire_oldest_first() -> None:
    graph = graph_with((T0, (A2,)), (T0 + DAY, (A1,)), (T0 + 2 * DAY, (A3,)))
    assert graph.expire(T0 + 7 * DAY - timedelta(seconds=1)) == []
    assert graph.expire(T0 + 8 * DAY) == [canonical_id(A2), canonical_id(A1)]
    assert graph.customer_of(A1) is None
    assert graph.customer_of(A3) == canonical_id(A3)


def test_activity_keeps_an_anonymous_customer_alive() -> None:
    graph = graph_with((T0, (A1,)), (T0 + DAY, (A2,)), (T0 + 5 * DAY, (A1,)))
    assert graph.expire(T0 + 9 * DAY) == [canonical_id(A2)]


def test_known_customers_never_expire() -> None:
    graph = graph_with((T0, (A1,)), (T0, (A1, U1)))
    assert graph.expire(T0 + 365 * DAY) == []
    assert graph.customer_of(A1) == canonical_id(U1)


def test_an_expired_cluster_takes_its_merges_and_links_with_it() -> None:
    graph = graph_with((T0, (A1,)), (T0, (D1,)), (T0, (A1, D1)), (T0, (A1, A3)))
    (merge,) = graph.merges_of(canonical_id(D1))
    assert graph.expire(T0 + 7 * DAY) == [canonical_id(D1)]
    assert len(graph) == 0
    snapshot = graph.to_snapshot()
    assert snapshot["merges"] == snapshot["links"] == snapshot["customers"] == []
    assert merge.loser == canonical_id(A1)


def test_a_forgotten_identifier_comes_back_as_a_new_customer() -> None:
    graph = graph_with((T0, (A1,)))
    graph.expire(T0 + 30 * DAY)
    graph.resolve([A1], offset=Offset(5), message_id=MessageId("m5"), now=T0 + 31 * DAY)
    assert graph.customer_of(A1) == canonical_id(A1)
