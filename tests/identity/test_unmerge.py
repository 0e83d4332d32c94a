from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shopstream.core import MessageId, Offset
from shopstream.events import Identifier, IdType
from shopstream.identity import (
    IdentityGraph,
    RefusalReason,
    Resolution,
    Side,
    UnknownMerge,
    canonical_id,
)

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
U1, E1, A1, A2, A3, A4, D2 = (
    Identifier(IdType.USER_ID, "u1"),
    Identifier(IdType.EMAIL, "e1"),
    Identifier(IdType.ANONYMOUS_ID, "a1"),
    Identifier(IdType.ANONYMOUS_ID, "a2"),
    Identifier(IdType.ANONYMOUS_ID, "a3"),
    Identifier(IdType.ANONYMOUS_ID, "a4"),
    Identifier(IdType.DEVICE_ID, "d2"),
)


def apply(graph: IdentityGraph, offset: int, *identifiers: Identifier) -> Resolution:
    return graph.resolve(
        identifiers, offset=Offset(offset), message_id=MessageId(f"m{offset}"), now=NOW
    )


def test_unmerge_restores_both_customers_and_forbids_the_link() -> None:
    graph = IdentityGraph()
    apply(graph, 0, E1, A1)
    apply(graph, 1, A2, D2)
    (merge,) = apply(graph, 2, A1, A2).merged
    split = graph.unmerge(merge.id, now=NOW)
    assert split.undone == merge
    assert split.previous == canonical_id(E1)
    assert split.winner_side == Side(canonical_id(E1), (E1, A1))
    assert split.loser_side == Side(canonical_id(D2), (D2, A2))
    assert graph.merges_of(canonical_id(E1)) == ()
    with pytest.raises(UnknownMerge):
        graph.unmerge(merge.id, now=NOW)
    again = apply(graph, 3, A1, D2)
    assert again.merged == ()
    assert [r.reason for r in again.refused] == [RefusalReason.FORBIDDEN]
    assert graph.customer_of(D2) == canonical_id(D2)


def test_identifiers_added_after_the_merge_go_with_the_side_they_linked_through() -> None:
    graph = IdentityGraph()
    apply(graph, 0, E1, A1)
    apply(graph, 1, A2, D2)
    (merge,) = apply(graph, 2, A1, A2).merged
    apply(graph, 3, A2, A3)  # a3 joins through the device's side
    apply(graph, 4, E1, A4)  # a4 joins through the email's side
    split = graph.unmerge(merge.id, now=NOW)
    assert set(split.winner_side.identifiers) == {E1, A1, A4}
    assert set(split.loser_side.identifiers) == {D2, A2, A3}


def test_unmerging_a_middle_merge_keeps_the_others() -> None:
    graph = IdentityGraph()
    apply(graph, 0, U1)
    apply(graph, 1, E1)
    apply(graph, 2, A1)
    first = apply(graph, 3, U1, E1).merged[0]
    second = apply(graph, 4, E1, A1).merged[0]
    split = graph.unmerge(first.id, now=NOW)
    assert split.winner_side == Side(canonical_id(U1), (U1,))
    assert split.loser_side == Side(canonical_id(E1), (E1, A1))
    assert graph.merges_of(canonical_id(E1)) == (second,)
    assert graph.unmerge(second.id, now=NOW).loser_side.customer_id == canonical_id(A1)
    assert len(graph) == 3


def test_unmerging_a_rename_gives_the_anonymous_customer_back() -> None:
    graph = IdentityGraph()
    apply(graph, 0, A1)
    (login,) = apply(graph, 1, A1, U1).merged
    later = NOW + timedelta(hours=1)
    split = graph.unmerge(login.id, now=later)
    assert split.winner_side == Side(canonical_id(U1), (U1,))
    assert split.loser_side == Side(canonical_id(A1), (A1,))
    # The anonymous side is active as of the unmerge, so it is not expired at once.
    assert graph.expire(later) == []
