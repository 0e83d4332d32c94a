from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from shopstream.core import MessageId, Offset
from shopstream.events import Identifier, IdType
from shopstream.identity import IdentityGraph, IdentityRules, InvalidSnapshot

NOW = datetime(2026, 3, 1, tzinfo=UTC)
RULES = IdentityRules(never_merge=frozenset({Identifier(IdType.DEVICE_ID, "kiosk")}))
EVENTS: list[tuple[Identifier, ...]] = [
    (Identifier(IdType.ANONYMOUS_ID, "a1"),),
    (Identifier(IdType.ANONYMOUS_ID, "a2"), Identifier(IdType.EMAIL, "e1")),
    (Identifier(IdType.ANONYMOUS_ID, "a1"), Identifier(IdType.USER_ID, "u1")),
    (Identifier(IdType.ANONYMOUS_ID, "a2"), Identifier(IdType.USER_ID, "u1")),
    (Identifier(IdType.ANONYMOUS_ID, "a2"), Identifier(IdType.USER_ID, "u2")),
    (Identifier(IdType.DEVICE_ID, "kiosk"), Identifier(IdType.USER_ID, "u2")),
    (Identifier(IdType.ANONYMOUS_ID, "a3"),),
]


def feed(graph: IdentityGraph, start: int, stop: int) -> IdentityGraph:
    for offset in range(start, stop):
        graph.resolve(
            EVENTS[offset],
            offset=Offset(offset),
            message_id=MessageId(f"m{offset}"),
            now=NOW + timedelta(minutes=offset),
        )
    return graph


def test_snapshot_is_json_and_round_trips() -> None:
    graph = feed(IdentityGraph(RULES), 0, len(EVENTS))
    merge = graph.merges_of(graph.customer_of(EVENTS[2][1]) or "")[0]  # type: ignore[arg-type]
    graph.unmerge(merge.id, now=NOW + timedelta(hours=1))
    data = json.loads(json.dumps(graph.to_snapshot()))
    restored = IdentityGraph.from_snapshot(data, RULES)
    assert restored == graph
    assert restored.offset == len(EVENTS) - 1
    assert restored.partition() == graph.partition()
    assert restored.refusals() == graph.refusals()
    assert data["forbidden"]


@pytest.mark.parametrize("cut", range(len(EVENTS) + 1))
def test_restored_graph_fed_the_rest_equals_one_clean_pass(cut: int) -> None:
    data = json.loads(json.dumps(feed(IdentityGraph(RULES), 0, cut).to_snapshot()))
    resumed = feed(IdentityGraph.from_snapshot(data, RULES), cut, len(EVENTS))
    assert resumed == feed(IdentityGraph(RULES), 0, len(EVENTS))


def test_graphs_in_different_states_differ() -> None:
    assert feed(IdentityGraph(), 0, 2) != feed(IdentityGraph(), 0, 3)
    assert IdentityGraph() != "a graph"


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"version": 99},
        {"version": 1},
        {"version": 1, "offset": 0, "clock": None, "customers": [["fax:1"]]},
    ],
)
def test_unknown_or_malformed_snapshots_are_rejected(data: dict[str, object]) -> None:
    with pytest.raises(InvalidSnapshot) as caught:
        IdentityGraph.from_snapshot(data)
    assert caught.value.code == "identity.invalid-snapshot"
