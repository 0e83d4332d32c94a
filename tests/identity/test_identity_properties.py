"""Invariants of the identity graph, over random event streams.

Order independence is claimed, and tested, only while no guardrail triggers: with caps,
which link is refused depends on which came first (first come, first linked).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from shopstream.core import MessageId, Offset
from shopstream.events import Identifier, IdType
from shopstream.identity import IdentityGraph, IdentityRules, canonical_id
from shopstream.identity.keys import key_of

T0 = datetime(2026, 3, 1, tzinfo=UTC)
POOL = [
    *(Identifier(IdType.USER_ID, f"u{i}") for i in range(3)),
    *(Identifier(IdType.EMAIL, f"e{i}") for i in range(3)),
    Identifier(IdType.LOYALTY_ID, "l0"),
    *(Identifier(IdType.DEVICE_ID, f"d{i}") for i in range(3)),
    *(Identifier(IdType.ANONYMOUS_ID, f"a{i}") for i in range(6)),
]
KIOSK = Identifier(IdType.DEVICE_ID, "d0")
UNCAPPED = IdentityRules(caps={id_type: 1_000 for id_type in IdType})
GUARDED = IdentityRules(
    caps={IdType.USER_ID: 1, IdType.EMAIL: 2, IdType.ANONYMOUS_ID: 3},
    never_merge=frozenset({KIOSK}),
    anonymous_ttl=timedelta(hours=6),
)

events = st.lists(st.lists(st.sampled_from(POOL), min_size=1, max_size=3), max_size=25)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("resolve"), st.lists(st.sampled_from(POOL), min_size=1, max_size=3)),
        st.tuples(st.just("unmerge"), st.integers(0, 50)),
        st.tuples(st.just("expire"), st.integers(0, 50)),
    ),
    max_size=30,
)


def resolve_all(graph: IdentityGraph, stream: list[list[Identifier]]) -> IdentityGraph:
    for offset, identifiers in enumerate(stream):
        moment = T0 + timedelta(hours=offset)
        graph.resolve(
            identifiers, offset=Offset(offset), message_id=MessageId(f"m{offset}"), now=moment
        )
    return graph


def run(graph: IdentityGraph, ops: list[tuple[str, object]], start: int = 0) -> IdentityGraph:
    for offset, (verb, arg) in enumerate(ops[start:], start=start):
        moment = T0 + timedelta(hours=offset)
        if verb == "resolve":
            graph.resolve(
                arg, offset=Offset(offset), message_id=MessageId(f"m{offset}"), now=moment
            )  # type: ignore[arg-type]
        elif verb == "unmerge":
            ids = sorted(f"{m['offset']}:{m['loser']}" for m in graph.to_snapshot()["merges"])
            if ids:
                graph.unmerge(ids[int(arg) % len(ids)], now=moment)  # type: ignore[call-overload]
        else:
            graph.expire(moment + timedelta(hours=int(arg) % 12))  # type: ignore[call-overload]
    return graph


def components(stream: list[list[Identifier]]) -> set[frozenset[Identifier]]:
    parent: dict[Identifier, Identifier] = {}

    def find(x: Identifier) -> Identifier:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for identifiers in stream:
        for other in identifiers[1:]:
            parent[find(other)] = find(identifiers[0])
        find(identifiers[0])
    groups: dict[Identifier, set[Identifier]] = {}
    for x in parent:
        groups.setdefault(find(x), set()).add(x)
    return {frozenset(group) for group in groups.values()}


@given(events, st.data())
def test_same_links_in_any_order_give_same_customers_and_ids(
    stream: list[list[Identifier]], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(stream))
    one = resolve_all(IdentityGraph(UNCAPPED), stream).partition()
    other = resolve_all(IdentityGraph(UNCAPPED), shuffled).partition()
    assert one == other
    assert set(one.values()) == components(stream)
    for customer_id, identifiers in one.items():
        assert customer_id == canonical_id(min(identifiers, key=key_of))


@given(operations, st.data())
def test_snapshot_anywhere_then_resume_equals_one_clean_pass(
    ops: list[tuple[str, object]], data: st.DataObject
) -> None:
    cut = data.draw(st.integers(0, len(ops)))
    snapshot = json.loads(json.dumps(run(IdentityGraph(GUARDED), ops[:cut]).to_snapshot()))
    resumed = run(IdentityGraph.from_snapshot(snapshot, GUARDED), ops, start=cut)
    assert resumed == run(IdentityGraph(GUARDED), ops)


@given(events)
def test_replaying_the_log_again_changes_nothing(stream: list[list[Identifier]]) -> None:
    graph = resolve_all(IdentityGraph(GUARDED), stream)
    before = graph.to_snapshot()
    resolve_all(graph, stream)
    assert graph.to_snapshot() == before


@given(operations)
def test_no_customer_ever_passes_a_cap_or_links_a_never_merge_identifier(
    ops: list[tuple[str, object]],
) -> None:
    graph = run(IdentityGraph(GUARDED), ops)
    for identifiers in graph.partition().values():
        counts = Counter(identifier.type for identifier in identifiers)
        assert all(counts[t] <= cap for t, cap in GUARDED.caps.items())
        assert KIOSK not in identifiers or identifiers == {KIOSK}
