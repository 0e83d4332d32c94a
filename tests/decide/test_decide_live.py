"""The trigger processor: timers on the log's clock, and a replay that reproduces everything.

Fed as the engine feeds it: :class:`LiveState` applies each event and tells
:class:`LiveDecide`, both parts of one :class:`Fanout` saved at one offset.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from shopstream.core import CustomerId, Offset
from shopstream.decide import Activation, MemoryActivationSink
from shopstream.decide.live import LiveDecide
from shopstream.decide.service import decide
from shopstream.events import ADMIN_SOURCE, ADMIN_USER, Identifier, IdType, Message, parse_message
from shopstream.identity import canonical_id
from shopstream.log import Fanout
from shopstream.profiles.live import LiveState

T0 = datetime(2026, 3, 2, 12, tzinfo=UTC)
TRIGGERS = """\
triggers:
  - {id: cart, type: absence, on: Product Added, absent: [Order Completed], within: 30m,
     offers: [note, ten]}
  - {id: big, type: event, on: Order Completed, if: "properties.total >= 100", offers: [thanks]}
  - {id: gold, type: segment_entry, segment: gold, offers: [thanks]}
  - {id: zone, type: proximity, min_affinity: 0.1, offers: [aisle]}
  - {id: back, type: back_in_stock, offers: [note]}
  - {id: cheaper, type: price_drop, offers: [note]}
"""
OFFERS = """\
eligibility: {caps: {email: 2, push: 2}}
policy: {name: linear-thompson, seed: 3}
offers:
  - {id: note, kind: message, channels: [email, push]}
  - {id: ten, channels: [email], discount: {percent: 10}, budget: 3}
  - {id: thanks, kind: message, channels: [email]}
  - {id: aisle, channels: [push]}
"""
SEGMENTS = "segments:\n  - {id: gold, when: \"traits.tier == 'gold' or order_count >= 2\"}\n"
STORE = {"id": "s1", "name": "S", "lat": 0.0, "lon": 0.0, "timezone": "UTC",
         "zones": [{"id": "z1", "name": "Kitchen", "categories": [["Home", "Kitchen"]]}]}  # fmt: skip


class CountingSink(MemoryActivationSink):
    def __init__(self) -> None:
        super().__init__()
        self.new = 0

    def put(self, activations: Sequence[Activation]) -> int:
        new = super().put(activations)
        self.new += new
        return new


class Harness:
    def __init__(self, sink: CountingSink | None = None) -> None:
        self.sink = sink if sink is not None else CountingSink()
        self.live = LiveState(lambda ids, offset: [], observer=self._observe)
        self.decide = LiveDecide(self.live, self.sink)
        self.fanout = Fanout("state", [self.live, self.decide])

    def _observe(self, offset: Offset, message: Message, customer: CustomerId | None) -> None:
        self.decide.observe(offset, message, customer)

    def feed(self, records: Sequence[tuple[Offset, Message]]) -> Harness:
        self.fanout.apply(records)
        return self

    def state(self) -> dict[str, Any]:
        return {"live": orjson.loads(self.live.dump()), "decide": orjson.loads(self.decide.dump())}


_ids = itertools.count()


def admin(event: str, props: dict[str, Any], at: datetime) -> Message:
    raw = {"type": "track", "event": event, "userId": ADMIN_USER,
           "messageId": f"admin-{next(_ids)}", "properties": props}  # fmt: skip
    return parse_message(raw, source=ADMIN_SOURCE, received_at=at)


def track(user: str, event: str, at: datetime, **props: Any) -> Message:
    raw = {"type": "track", "userId": user, "event": event, "properties": props,
           "messageId": f"m-{next(_ids)}", "timestamp": at.isoformat()}  # fmt: skip
    return parse_message(raw, source="t", received_at=at)


def identify(user: str, at: datetime, **traits: Any) -> Message:
    raw = {"type": "identify", "userId": user, "traits": traits, "messageId": f"m-{next(_ids)}",
           "timestamp": at.isoformat()}  # fmt: skip
    return parse_message(raw, source="t", received_at=at)


def setup(at: datetime = T0) -> list[Message]:
    texts = {"triggers": TRIGGERS, "offers": OFFERS, "segments": SEGMENTS}
    return [
        admin("Decide Config Set", {"texts": texts}, at),
        admin("Catalog Stores Upserted", {"stores": [STORE]}, at),
    ]


def records(messages: Sequence[Message]) -> list[tuple[Offset, Message]]:
    return [(Offset(i + 1), m) for i, m in enumerate(messages)]


def customer(user: str) -> CustomerId:
    return canonical_id(Identifier(IdType.USER_ID, user))


def fired(h: Harness, trigger: str) -> list[Activation]:
    return [a for a in h.sink.activations.values() if a.trigger_id == trigger]


def test_an_absence_fires_when_the_log_clock_passes_its_window() -> None:
    kettle = {"product_id": "k", "name": "Kettle", "category": "Home > Kitchen", "price": 30.0}
    log = [
        *setup(),
        track("ana", "Product Added", T0, **kettle),
        track("bob", "Product Added", T0, **kettle),
        track(
            "bob",
            "Order Completed",
            T0 + timedelta(minutes=10),
            order_id="o1",
            total=30.0,
            products=[{"product_id": "k"}],
        ),
        track("cid", "Product Viewed", T0 + timedelta(minutes=29), **kettle),
    ]
    h = Harness().feed(records(log))
    assert fired(h, "cart") == []  # 29 minutes on the log's clock: not yet
    h.feed([(Offset(len(log) + 1), admin("Clock Ticked", {}, T0 + timedelta(minutes=31)))])
    [activation] = fired(h, "cart")
    assert activation.customer_id == customer("ana")  # bob bought within the window
    assert activation.at == T0 + timedelta(minutes=31)
    assert activation.key == f"cart:{log[2].message_id}:{customer('ana')}"
    assert activation.payload["trigger"]["product_id"] == "k"


def stream(draws: Sequence[tuple[int, str, int]]) -> list[Message]:
    """A shop's day from drawn (user, action, minutes later) triples."""
    kettle = {"product_id": "k", "name": "Kettle", "category": "Home > Kitchen", "price": 30.0}
    at = T0
    out = setup(at)
    for user_n, action, minutes in draws:
        at += timedelta(minutes=minutes)
        user = f"u{user_n}"
        if action == "add":
            out.append(track(user, "Product Added", at, **kettle))
        elif action == "order":
            out.append(track(user, "Order Completed", at, order_id=f"o{next(_ids)}",
                             total=150.0, products=[{"product_id": "k"}]))  # fmt: skip
        elif action == "view":
            out.append(track(user, "Product Viewed", at, **kettle))
        elif action == "gold":
            out.append(identify(user, at, tier="gold"))
        elif action == "silver":
            out.append(identify(user, at, tier="silver", consent={"email": user_n % 2 == 0}))
        elif action == "zone":
            out.append(track(user, "Store Zone Entered", at, store_id="s1", zone_id="z1"))
        elif action == "wish":
            out.append(track(user, "Product Added to Wishlist", at, **kettle))
        elif action == "restock":
            out.append(track("feed", "Inventory Updated", at, product_id="k", online=True,
                             quantity=minutes % 3))  # fmt: skip
        elif action == "cheaper":
            out.append(track("feed", "Product Viewed", at, product_id="k",
                             price=30.0 * (0.5 + (minutes % 10) / 10)))  # fmt: skip
        else:
            out.append(admin("Clock Ticked", {}, at))
    return out


ACTIONS = ["add", "order", "view", "gold", "silver", "zone", "wish", "restock", "cheaper", "tick"]
draws = st.lists(
    st.tuples(st.integers(0, 3), st.sampled_from(ACTIONS), st.integers(0, 40)),
    min_size=1, max_size=60,
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(draws, st.data())
def test_restore_and_replay_reproduce_the_clean_pass(
    drawn: list[tuple[int, str, int]], data: st.DataObject
) -> None:
    log = records(stream(drawn))
    clean = Harness().feed(log)

    # Saved anywhere, restored, fed the rest in other slices: same state, same activations.
    split = data.draw(st.integers(0, len(log)))
    first = Harness().feed(log[:split])
    saved = first.fanout.dump()
    second = Harness(first.sink)
    second.fanout.load(saved)
    for start in range(split, len(log), 3):
        second.feed(log[start : start + 3])
    assert second.state() == clean.state()
    assert second.sink.activations == clean.sink.activations

    # A replay of the whole log from scratch writes nothing new to the outbox.
    replay = Harness(clean.sink)
    before = clean.sink.new
    replay.feed(log)
    assert clean.sink.new == before


def test_a_replay_of_a_busy_stream_fires_every_trigger_type() -> None:
    drawn = [(u, a, 200) for a in ACTIONS for u in range(3)] * 3
    h = Harness().feed(records(stream(drawn)))
    assert {a.trigger_id for a in h.sink.activations.values()} == {
        "cart", "big", "gold", "zone", "back", "cheaper",
    }  # fmt: skip
    # Caps hold: at most 2 email activations per customer and local day.
    per_day: dict[tuple[str, str, str], int] = {}
    for a in h.sink.activations.values():
        key = (a.customer_id, a.channel, a.at.date().isoformat())
        per_day[key] = per_day.get(key, 0) + 1
    assert max(per_day.values()) <= 2
    # The budgeted offer was given at most its budget.
    assert sum(a.offer_id == "ten" for a in h.sink.activations.values()) <= 3


def test_answering_requests_leaves_the_replayed_state_alone() -> None:
    h = Harness().feed(records([*setup(), identify("ana", T0, tier="gold")]))
    before = h.state()
    answers = [
        decide(h.decide, customer("ana"), placement="home", channel="email", now=T0)
        for _ in range(20)
    ]
    assert h.state() == before  # Thompson drew from each request's own generator
    answer = answers[0]
    assert {a.id for a in answer.actions} == {"note", "ten", "thanks"}
    assert sum(a.propensity for a in answer.actions) == 1.0 or all(
        0.0 <= a.propensity <= 1.0 for a in answer.actions
    )
    assert {v.offer_id: v.reason for v in answer.excluded} == {
        "aisle": "no channel in common with the offer (push)",
    }
    assert answer.segments == ("gold",)
