from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import shopstream.catalog
import shopstream.profiles
from shopstream.core import CustomerId
from shopstream.events import Message, parse_message
from shopstream.profiles import Profiles

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
C1 = CustomerId("c1")


def track(event: str, minute: float, **properties: Any) -> Message:
    raw = {
        "type": "track",
        "userId": "u1",
        "event": event,
        "properties": properties,
        "timestamp": (T0 + timedelta(minutes=minute)).isoformat(),
    }
    return parse_message(raw, source="test", received_at=T0 + timedelta(minutes=minute))


_products = st.sampled_from(["p1", "p2", "p3"])
_cart_ops = st.lists(
    st.one_of(
        st.tuples(st.just("add"), _products, st.integers(0, 5)),
        st.tuples(st.just("remove"), _products, st.integers(0, 5)),
        st.tuples(st.just("order"), _products, st.just(0)),
    ),
    max_size=40,
)


def _cart_messages(ops: list[tuple[str, str, int]]) -> list[Message]:
    messages = []
    for i, (op, product, quantity) in enumerate(ops):
        if op == "add":
            messages.append(track("Product Added", i, product_id=product, quantity=quantity))
        elif op == "remove":
            messages.append(track("Product Removed", i, product_id=product, quantity=quantity))
        else:
            messages.append(track("Order Completed", i, order_id=f"o{i}", total=1))
    return messages


def feed(profiles: Profiles, messages: list[Message], customer: CustomerId = C1) -> None:
    for offset, message in enumerate(messages):
        profiles.apply(customer, message, offset=offset, now=T0)


@given(_cart_ops)
def test_cart_is_the_clamped_running_sum_cleared_by_orders(ops: list[tuple[str, str, int]]) -> None:
    profiles = Profiles()
    feed(profiles, _cart_messages(ops))
    expected: dict[str, int] = {}
    for op, product, quantity in ops:
        if op == "add":
            expected[product] = expected.get(product, 0) + quantity
        elif op == "remove":
            expected[product] = max(0, expected.get(product, 0) - quantity)
        else:
            expected = {}
    profile = profiles.get(C1)
    if not ops:
        assert profile is None
        return
    assert profile is not None
    assert dict(profile.cart or {}) == {p: q for p, q in expected.items() if q > 0}
    assert all(q > 0 for q in (profile.cart or {}).values())


_any_event = st.one_of(
    st.builds(
        lambda p, q: ("Product Added", {"product_id": p, "quantity": q}),
        _products,
        st.integers(0, 3),
    ),
    st.builds(lambda p: ("Product Removed", {"product_id": p}), _products),
    st.builds(
        lambda p, c: ("Product Viewed", {"product_id": p, "category": c}),
        _products,
        st.sampled_from(["A", "B/C"]),
    ),
    st.builds(lambda p: ("Product Added to Wishlist", {"product_id": p}), _products),
    st.builds(
        lambda o: ("Order Completed", {"order_id": o, "total": 2.0}),
        st.sampled_from(["o1", "o2", "o3"]),
    ),
    st.builds(lambda s: ("Store Entered", {"store_id": s}), st.sampled_from(["s1", "s2"])),
    st.builds(lambda s: ("Store Exited", {"store_id": s}), st.sampled_from(["s1", "s2"])),
    st.builds(lambda g: ("Consent Updated", {"purpose": "email", "granted": g}), st.booleans()),
    st.just(("Checkout Started", {})),
)
_streams = st.lists(st.tuples(_any_event, st.floats(0, 600)), max_size=30)


def _messages(stream: list[tuple[tuple[str, dict[str, Any]], float]]) -> list[Message]:
    return [track(event, minute, **props) for (event, props), minute in stream]


@given(_streams)
def test_replaying_twice_equals_once(stream: list[Any]) -> None:
    messages = _messages(stream)
    once, twice = Profiles(), Profiles()
    feed(once, messages)
    feed(twice, messages)
    feed(twice, messages)
    assert twice.to_snapshot() == once.to_snapshot()


@given(_streams, st.data())
def test_snapshot_then_resume_equals_one_clean_pass(stream: list[Any], data: st.DataObject) -> None:
    messages = _messages(stream)
    clean = Profiles()
    feed(clean, messages)
    cut = data.draw(st.integers(0, len(messages)))
    first = Profiles()
    feed(first, messages[:cut])
    resumed = Profiles.from_snapshot(first.to_snapshot())
    feed(resumed, messages)
    assert resumed.to_snapshot() == clean.to_snapshot()
    later = T0 + timedelta(hours=11)
    assert resumed.view(C1, now=later) == clean.view(C1, now=later)


@settings(max_examples=50)
@given(_streams, st.data())
def test_profile_merge_matches_sequential_affinities_and_counters(
    stream: list[Any], data: st.DataObject
) -> None:
    messages = _messages(stream)
    whole, split = Profiles(), Profiles()
    for offset, message in enumerate(messages):
        whole.apply(C1, message, offset=offset, now=T0)
        side = CustomerId("a") if data.draw(st.booleans()) else CustomerId("b")
        split.apply(side, message, offset=offset, now=T0)
    merged = split.merge(CustomerId("a"), CustomerId("b"))
    expected = whole.get(C1)
    if expected is None:
        assert merged is None
        return
    assert merged is not None
    assert merged.event_count == expected.event_count
    assert merged.channels == expected.channels
    assert merged.last_offset == expected.last_offset
    assert {o.order_id for o in merged.orders or ()} == {o.order_id for o in expected.orders or ()}
    assert set(merged.wishlist or ()) == set(expected.wishlist or ())
    later = (T0 + timedelta(hours=12)).timestamp()
    for name in ("categories", "brands"):
        got, want = getattr(merged, name), getattr(expected, name)
        got_top = dict(got.top(later, 14 * 86400, 50)) if got else {}
        want_top = dict(want.top(later, 14 * 86400, 50)) if want else {}
        assert got_top == pytest.approx(want_top)


def test_memory_per_typical_profile_is_under_budget() -> None:
    """A few views, a cart line and an order, container entry and id included.

    A regression guard: about 2.0 KB today against DESIGN.md's 1.5 KB first aim.
    """
    n = 2000
    streams = []
    for i in range(n):
        streams.append(
            [
                track(
                    "Product Viewed",
                    0,
                    product_id=f"p{i % 50}",
                    category="Home/Kitchen",
                    brand="Brew",
                ),
                track("Product Viewed", 1, product_id=f"p{(i + 1) % 50}", category="Home/Bath"),
                track("Product Viewed", 2, product_id=f"p{(i + 2) % 50}", category="Toys"),
                track("Product Added", 3, product_id=f"p{i % 50}", quantity=1),
                track(
                    "Order Completed",
                    4,
                    order_id=f"o{i}",
                    total=20.0,
                    products=[{"product_id": f"p{(i + 3) % 50}", "quantity": 1, "price": 20.0}],
                ),
                track("Product Added", 5, product_id=f"p{(i + 4) % 50}"),
            ]
        )
    profiles = Profiles()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for i, messages in enumerate(streams):
        for offset, message in enumerate(messages):
            profiles.apply(CustomerId(f"c{i}"), message, offset=offset, now=T0)
    per_profile = (tracemalloc.get_traced_memory()[0] - before) / n
    tracemalloc.stop()
    assert per_profile < 2300, f"{per_profile:.0f} bytes a profile"


@pytest.mark.parametrize("package", [shopstream.catalog, shopstream.profiles])
def test_public_api_is_explicit(package: Any) -> None:
    assert isinstance(package.__all__, tuple)
    assert len(set(package.__all__)) == len(package.__all__)
    for name in package.__all__:
        assert not name.startswith("_")
        assert hasattr(package, name)
