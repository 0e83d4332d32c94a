"""The stream processor's state is a function of the log: replays and resumes change nothing."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from shopstream.core import Offset
from shopstream.events import Identifier, Message, parse_message
from shopstream.profiles.live import LiveState

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
ANONS = ["a1", "a2", "a3", "a4"]
USERS = ["u1", "u2"]
EMAILS = ["ana@example.com", "bo@example.com"]
PRODUCTS = ["p1", "p2", "p3"]


class Log:
    """A list standing in for the log, with the history lookup unmerge needs."""

    def __init__(self) -> None:
        self.events: list[tuple[Offset, Message]] = []

    def add(self, raw: dict[str, Any]) -> None:
        offset = Offset(len(self.events) + 1)
        at = START + timedelta(minutes=offset)
        self.events.append((offset, parse_message(raw, source="test", received_at=at)))

    def history(
        self, identifiers: Iterable[Identifier], before: Offset | None = None
    ) -> list[tuple[Offset, Message]]:
        wanted = set(identifiers)
        return [
            (offset, message)
            for offset, message in self.events
            if (before is None or offset < before) and wanted & set(message.identities)
        ]


@st.composite
def raw_events(draw: st.DrawFn) -> dict[str, Any]:
    who: dict[str, Any] = {"anonymousId": draw(st.sampled_from(ANONS))}
    if draw(st.booleans()):
        who["userId"] = draw(st.sampled_from(USERS))
    product = draw(st.sampled_from(PRODUCTS))
    kind = draw(st.sampled_from(["view", "add", "remove", "order", "identify", "stock"]))
    line = {"product_id": product, "category": "Home > Kitchen", "price": 10.0}
    if kind == "identify":
        return {"type": "identify", **who, "traits": {"email": draw(st.sampled_from(EMAILS))}}
    if kind == "stock":
        return {"type": "track", "userId": "erp", "event": "Inventory Updated",
                "properties": {"product_id": product, "store_id": "s1",
                               "quantity": draw(st.integers(0, 20))}}  # fmt: skip
    if kind == "order":
        props = {"order_id": f"o{draw(st.integers(0, 5))}", "store_id": "s1",
                 "products": [{**line, "quantity": draw(st.integers(1, 3))}]}  # fmt: skip
        return {"type": "track", **who, "event": "Order Completed", "properties": props}
    name = {"view": "Product Viewed", "add": "Product Added", "remove": "Product Removed"}[kind]
    quantity = draw(st.integers(1, 3))
    return {"type": "track", **who, "event": name, "properties": {**line, "quantity": quantity}}


def _state(live: LiveState) -> Any:
    return orjson.loads(live.dump())


def _fed(log: Log, events: list[tuple[Offset, Message]], slice_size: int = 7) -> LiveState:
    live = LiveState(log.history)
    for start in range(0, len(events), slice_size):
        live.apply(events[start : start + slice_size])
    return live


@settings(max_examples=60, deadline=None)
@given(st.lists(raw_events(), min_size=1, max_size=40), st.data())
def test_replay_and_resume_give_the_clean_state(
    raws: list[dict[str, Any]], data: st.DataObject
) -> None:
    log = Log()
    for raw in raws:
        log.add(raw)
    clean = _fed(log, log.events)
    expected = _state(clean)

    clean.apply(log.events)  # the whole log again
    assert _state(clean) == expected

    cut = data.draw(st.integers(0, len(log.events)))
    crashed = _fed(log, log.events[:cut])
    resumed = LiveState(log.history)
    resumed.load(crashed.dump())
    # After a crash the consumer re-reads from the saved offset; a resume that re-reads from
    # further back (an older save) must reach the same state too.
    back = data.draw(st.integers(0, cut))
    resumed.apply(log.events[back:])
    assert _state(resumed) == expected


def test_unmerge_splits_profiles_by_the_events_each_side_contributed() -> None:
    log = Log()
    log.add({"type": "track", "anonymousId": "a1", "event": "Product Added",
             "properties": {"product_id": "p1", "quantity": 1}})  # fmt: skip
    log.add({"type": "track", "userId": "u1", "event": "Product Added",
             "properties": {"product_id": "p2", "quantity": 2}})  # fmt: skip
    # A shared tablet signs in as u1 while a1's session is open: a wrong merge.
    log.add({"type": "identify", "anonymousId": "a1", "userId": "u1"})
    live = _fed(log, log.events)
    anon, user = Identifier("anonymousId", "a1"), Identifier("userId", "u1")  # type: ignore[arg-type]
    merged = live.graph.customer_of(user)
    assert merged is not None
    assert live.graph.customer_of(anon) == merged
    assert live.profiles.get(merged).cart == {"p1": 1, "p2": 2}  # type: ignore[union-attr]
    [merge] = live.graph.merges_of(merged)

    log.add({"type": "track", "userId": "_shopstream", "event": "Identity Unmerged",
             "properties": {"merge_id": merge.id}})  # fmt: skip
    admin_offset, admin_message = log.events[-1]
    admin_message.source = "_admin"
    live.apply([(admin_offset, admin_message)])

    anon_customer, user_customer = live.graph.customer_of(anon), live.graph.customer_of(user)
    assert anon_customer != user_customer
    # The linking identify carried both identifiers, so it counts on both sides; the carts
    # come back apart.
    assert live.profiles.get(anon_customer).cart == {"p1": 1}  # type: ignore[arg-type, union-attr]
    assert live.profiles.get(user_customer).cart == {"p2": 2}  # type: ignore[arg-type, union-attr]
    # The pair never merges again.
    log.add({"type": "identify", "anonymousId": "a1", "userId": "u1"})
    live.apply(log.events[-1:])
    assert live.graph.customer_of(anon) != live.graph.customer_of(user)
