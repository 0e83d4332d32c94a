from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shopstream.core import MessageId, Offset
from shopstream.events import Identifier, IdType
from shopstream.identity import (
    IdentityGraph,
    IdentityRules,
    InvalidIdentityInput,
    RefusalReason,
    Resolution,
    UnknownCustomer,
    UnknownMerge,
    canonical_id,
)

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def user(value: str) -> Identifier:
    return Identifier(IdType.USER_ID, value)


def anon(value: str) -> Identifier:
    return Identifier(IdType.ANONYMOUS_ID, value)


def email(value: str) -> Identifier:
    return Identifier(IdType.EMAIL, value)


def device(value: str) -> Identifier:
    return Identifier(IdType.DEVICE_ID, value)


def apply(graph: IdentityGraph, offset: int, *identifiers: Identifier) -> Resolution:
    return graph.resolve(
        identifiers,
        offset=Offset(offset),
        message_id=MessageId(f"m{offset}"),
        now=NOW + timedelta(seconds=offset),
    )


def test_a_new_identifier_is_a_customer_of_its_own() -> None:
    graph = IdentityGraph()
    resolution = apply(graph, 0, anon("a1"))
    assert resolution == Resolution(canonical_id(anon("a1")))
    assert graph.customer_of(anon("a1")) == resolution.customer_id
    assert graph.identifiers_of(resolution.customer_id) == (anon("a1"),)
    assert graph.customer_of(anon("never-seen")) is None


def test_first_login_renames_the_anonymous_customer_to_the_user() -> None:
    graph = IdentityGraph()
    before = apply(graph, 0, anon("a1")).customer_id
    login = apply(graph, 1, anon("a1"), user("u1"))
    assert login.customer_id == canonical_id(user("u1"))
    (merge,) = login.merged
    assert (merge.winner, merge.loser) == (login.customer_id, before)
    assert merge.link == (user("u1"), anon("a1"))
    assert (merge.offset, merge.message_id, merge.at) == (1, "m1", NOW + timedelta(seconds=1))
    assert merge.id == f"1:{before}"
    assert graph.identifiers_of(login.customer_id) == (user("u1"), anon("a1"))
    assert graph.merges_of(login.customer_id) == (merge,)
    assert graph.merge(merge.id) == merge
    assert len(graph) == 1


def test_new_identifiers_joining_a_known_customer_are_not_merges() -> None:
    graph = IdentityGraph()
    apply(graph, 0, user("u1"))
    joined = apply(graph, 1, user("u1"), anon("a9"), device("d9"))
    assert joined == Resolution(canonical_id(user("u1")))
    assert graph.customer_of(device("d9")) == canonical_id(user("u1"))
    assert graph.merges_of(joined.customer_id) == ()


def test_alias_merges_two_known_customers_into_the_higher_priority_one() -> None:
    graph = IdentityGraph()
    apply(graph, 0, anon("a1"), email("e1"))
    apply(graph, 1, user("u1"), device("d1"))
    alias = apply(graph, 2, user("u1"), anon("a1"))  # alias: userId + previousId
    (merge,) = alias.merged
    assert merge.winner == canonical_id(user("u1"))
    assert merge.loser == canonical_id(email("e1"))
    assert merge.link == (user("u1"), anon("a1"))
    assert set(graph.identifiers_of(merge.winner)) == {
        user("u1"),
        email("e1"),
        anon("a1"),
        device("d1"),
    }
    with pytest.raises(UnknownCustomer):
        graph.identifiers_of(merge.loser)


def test_one_event_can_merge_several_customers() -> None:
    graph = IdentityGraph()
    apply(graph, 0, anon("a1"))
    apply(graph, 1, anon("a2"))
    apply(graph, 2, email("e1"))
    event = apply(graph, 3, anon("a1"), anon("a2"), email("e1"))
    assert event.customer_id == canonical_id(email("e1"))
    assert [m.loser for m in event.merged] == [canonical_id(anon("a1")), canonical_id(anon("a2"))]
    assert len(graph) == 1
    assert len(graph.merges_of(event.customer_id)) == 2


def test_a_second_user_id_is_refused_and_keeps_its_own_customer() -> None:
    graph = IdentityGraph()
    apply(graph, 0, anon("shared-browser"), user("u1"))
    second = apply(graph, 1, anon("shared-browser"), user("u2"))
    # The event belongs to whoever it names best; the browser stays with u1.
    assert second.customer_id == canonical_id(user("u2"))
    assert second.merged == ()
    (refusal,) = second.refused
    assert refusal.reason is RefusalReason.CAP
    assert refusal.id_type is IdType.USER_ID
    assert (refusal.customer_id, refusal.refused) == (
        canonical_id(user("u2")),
        canonical_id(user("u1")),
    )
    assert refusal.link == (user("u2"), anon("shared-browser"))
    assert graph.customer_of(anon("shared-browser")) == canonical_id(user("u1"))
    assert graph.identifiers_of(second.customer_id) == (user("u2"),)
    assert graph.refusals() == (refusal,)


def test_a_new_identifier_over_its_cap_starts_its_own_customer() -> None:
    graph = IdentityGraph(IdentityRules(caps={IdType.ANONYMOUS_ID: 2}))
    apply(graph, 0, user("u1"), anon("a1"), anon("a2"))
    third = apply(graph, 1, user("u1"), anon("a3"))
    assert third.customer_id == canonical_id(user("u1"))
    assert [r.id_type for r in third.refused] == [IdType.ANONYMOUS_ID]
    assert graph.customer_of(anon("a3")) == canonical_id(anon("a3"))


def test_refusals_kept_are_bounded() -> None:
    graph = IdentityGraph(IdentityRules(max_refusals=2))
    apply(graph, 0, user("u1"), anon("a"))
    for offset in range(1, 6):
        apply(graph, offset, user(f"other{offset}"), anon("a"))
    assert [r.offset for r in graph.refusals()] == [4, 5]


def test_never_merge_identifiers_resolve_but_link_nobody() -> None:
    kiosk = device("kiosk-12")
    graph = IdentityGraph(IdentityRules(never_merge=frozenset({kiosk})))
    first = apply(graph, 0, kiosk, user("u1"))
    second = apply(graph, 1, kiosk, user("u2"))
    assert (first.customer_id, second.customer_id) == (
        canonical_id(user("u1")),
        canonical_id(user("u2")),
    )
    assert first.merged == second.merged == second.refused == ()
    assert graph.customer_of(kiosk) == canonical_id(kiosk)
    assert apply(graph, 2, kiosk).customer_id == canonical_id(kiosk)
    assert len(graph) == 3


def test_replaying_an_applied_offset_changes_nothing() -> None:
    graph = IdentityGraph(IdentityRules(caps={IdType.USER_ID: 1}))
    apply(graph, 0, anon("a1"))
    login = apply(graph, 1, anon("a1"), user("u1"))
    apply(graph, 2, anon("a1"), user("u2"))
    before = graph.to_snapshot()
    assert apply(graph, 1, anon("a1"), user("u1")) == Resolution(login.customer_id)
    assert apply(graph, 2, anon("a1"), user("u2")) == Resolution(canonical_id(user("u2")))
    assert apply(graph, 0, anon("gone")) == Resolution(canonical_id(anon("gone")))
    assert graph.to_snapshot() == before
    assert graph.offset == 2


def test_unknown_ids_raise_lookup_errors_with_codes() -> None:
    graph = IdentityGraph()
    with pytest.raises(UnknownCustomer) as customer:
        graph.identifiers_of(canonical_id(user("nobody")))
    with pytest.raises(LookupError):
        graph.merges_of(canonical_id(user("nobody")))
    with pytest.raises(UnknownMerge) as merge:
        graph.merge("7:c_0000000000000000")
    assert (customer.value.code, merge.value.code) == (
        "identity.unknown-customer",
        "identity.unknown-merge",
    )


def test_bad_input_is_rejected() -> None:
    graph = IdentityGraph()
    with pytest.raises(InvalidIdentityInput, match="at least one identifier"):
        graph.resolve([], offset=Offset(0), message_id=MessageId("m"), now=NOW)
    with pytest.raises(ValueError, match="timezone-aware"):
        graph.resolve(
            [anon("a")],
            offset=Offset(0),
            message_id=MessageId("m"),
            now=datetime(2026, 1, 1),  # noqa: DTZ001
        )
    assert graph.offset == -1
