from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopstream.catalog import Catalog, Product
from shopstream.core import ProductId, StoreId
from shopstream.events import Message, parse_message
from shopstream.trends import (
    InvalidTrendQuery,
    InvalidTrendSnapshot,
    Ranked,
    TrendKind,
    TrendRules,
    Trends,
    Window,
)

T0 = datetime(2026, 3, 2, 12, tzinfo=UTC)
PRODUCT, CATEGORY, SEARCH = TrendKind.PRODUCT, TrendKind.CATEGORY, TrendKind.SEARCH


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def track(event: str, minute: float = 0, *, received: float | None = None, **props: Any) -> Message:
    raw = {
        "type": "track",
        "userId": "u1",
        "event": event,
        "properties": props,
        "timestamp": at(minute).isoformat(),
    }
    return parse_message(
        raw, source="test", received_at=at(minute if received is None else received)
    )


def feed(trends: Trends, messages: list[Message], start: int = 1, **kwargs: Any) -> None:
    for offset, message in enumerate(messages, start):
        assert message.received_at is not None
        trends.apply(message, offset=offset, now=message.received_at, **kwargs)


def view(product_id: str, minute: float = 0, **props: Any) -> Message:
    return track("Product Viewed", minute, product_id=product_id, **props)


# -- weights and what is counted ----------------------------------------------------------------


def test_weights_per_event_type() -> None:
    trends = Trends()
    feed(
        trends,
        [
            view("p1"),
            track("Product Added", product_id="p1"),
            track("Order Completed", order_id="o1", products=[{"product_id": "p1", "quantity": 7}]),
            track("Product Removed", product_id="p1"),  # not weighted: not counted
            track("Products Searched", query="Kettle"),
        ],
    )
    assert trends.count(PRODUCT, "p1", Window.HOUR, at(0)) == 1 + 3 + 5
    assert trends.count(SEARCH, "kettle", Window.HOUR, at(0)) == 1


def test_custom_weights() -> None:
    trends = Trends(TrendRules(weights={"Product Clicked": 2, "Checkout Started": 4}))
    feed(
        trends,
        [
            view("p1"),
            track("Product Clicked", product_id="p1"),
            track("Checkout Started", products=[{"product_id": "p1"}, {"product_id": "p2"}]),
        ],
    )
    assert trends.count(PRODUCT, "p1", Window.DAY, at(0)) == 2 + 4
    assert trends.count(PRODUCT, "p2", Window.DAY, at(0)) == 4


def test_every_level_of_a_category_path_counts() -> None:
    trends = Trends()
    feed(
        trends,
        [view("p1", category="Home > Kitchen > Kettles"), view("p2", category="Home/Garden")],
    )
    assert trends.count(CATEGORY, "Home", Window.HOUR, at(0)) == 2
    assert trends.count(CATEGORY, "Home > Kitchen", Window.HOUR, at(0)) == 1
    assert trends.count(CATEGORY, "Home/Kitchen/Kettles", Window.HOUR, at(0)) == 1


def test_category_comes_from_the_argument_then_the_catalog_then_the_event() -> None:
    catalog = Catalog()
    catalog.upsert_products([Product(ProductId("p1"), "Kettle", ("Home", "Kitchen"))])
    trends = Trends(lookup=catalog.product)
    trends.apply(view("p1", category="Toys"), offset=1, now=at(0))
    trends.apply(view("p2", category="Toys"), offset=2, now=at(0))
    trends.apply(view("p3", category="Toys"), offset=3, now=at(0), category=("Garden",))
    order = track("Order Completed", order_id="o", products=[{"product_id": "p1"}])
    trends.apply(order, offset=4, now=at(0), category=("Garden",))  # not for order lines
    assert trends.top(CATEGORY, Window.HOUR, at(0)) == [
        Ranked("Home", 6),
        Ranked("Garden", 1),
        Ranked("Toys", 1),
    ]


def test_search_terms_are_normalised() -> None:
    trends = Trends()
    queries = ["Red Shoes", "  red   SHOES", "", "   "]
    feed(trends, [track("Products Searched", query=q) for q in queries])
    assert trends.top(SEARCH, Window.HOUR, at(0)) == [Ranked("red shoes", 2)]
    assert trends.count(SEARCH, "RED shoes ", Window.HOUR, at(0)) == 2


def test_store_counts_come_from_the_event_or_the_callers_store() -> None:
    trends = Trends()
    trends.apply(view("p1", store_id="s12"), offset=1, now=at(0))
    trends.apply(view("p2"), offset=2, now=at(0), store_id=StoreId("s12"))
    trends.apply(view("p3", store_id="s7"), offset=3, now=at(0), store_id=StoreId("s12"))
    trends.apply(view("p4"), offset=4, now=at(0))
    s12 = StoreId("s12")
    assert trends.top(PRODUCT, Window.HOUR, at(0), store_id=s12) == [
        Ranked("p1", 1),
        Ranked("p2", 1),
    ]
    assert [r.key for r in trends.top(PRODUCT, Window.HOUR, at(0))] == ["p1", "p2", "p3", "p4"]
    assert trends.count(PRODUCT, "p3", Window.HOUR, at(0), store_id=StoreId("s7")) == 1
    assert trends.top(PRODUCT, Window.HOUR, at(0), store_id=StoreId("s99")) == []


# -- windows roll over --------------------------------------------------------------------------


def test_windows_roll_over_as_the_clock_moves() -> None:
    trends = Trends()
    feed(trends, [view("p1", 0), view("p1", 30), view("p1", 50)])

    def counts(minute: float) -> list[int]:
        return [trends.count(PRODUCT, "p1", w, at(minute)) for w in Window]

    assert counts(50) == [1, 3, 3, 3]
    assert counts(56) == [0, 3, 3, 3]  # the 5-minute window has passed the last view
    assert counts(61) == [0, 2, 3, 3]  # the hour, the first
    assert counts(111) == [0, 0, 3, 3]
    assert counts(60 * 24 + 44) == [0, 0, 1, 3]  # the day: 15-minute buckets
    assert counts(60 * 24 + 51) == [0, 0, 0, 3]
    assert counts(60 * 24 * 7 + 51) == [0, 0, 0, 0]


def test_late_events_count_at_their_own_time_and_future_ones_at_the_clock() -> None:
    trends = Trends()
    feed(trends, [view("p1", 0), track("Product Viewed", 10, received=50, product_id="late")])
    assert trends.count(PRODUCT, "late", Window.FIVE_MINUTES, at(50)) == 0
    assert trends.count(PRODUCT, "late", Window.HOUR, at(50)) == 1
    assert trends.count(PRODUCT, "late", Window.HOUR, at(70)) == 0
    future = track("Product Viewed", 500, received=80, product_id="future")
    trends.apply(future, offset=3, now=at(80))
    assert trends.count(PRODUCT, "future", Window.FIVE_MINUTES, at(84)) == 1
    assert trends.count(PRODUCT, "future", Window.FIVE_MINUTES, at(86)) == 0


def test_queries_before_the_clock_are_answered_at_the_clock() -> None:
    trends = Trends()
    feed(trends, [view("p1", 0), view("p2", 20)])
    assert trends.clock == at(20)
    assert trends.count(PRODUCT, "p1", Window.FIVE_MINUTES, at(0)) == 0


# -- top and filters ----------------------------------------------------------------------------


def test_top_by_category() -> None:
    trends = Trends()
    feed(
        trends,
        [
            view("kettle", category="Home/Kitchen/Kettles"),
            view("kettle", category="Home/Kitchen/Kettles"),
            view("pan", category="Home/Kitchen/Pans"),
            view("rake", category="Home/Garden"),
            view("ball", category="Toys"),
        ],
    )
    assert trends.top(PRODUCT, Window.HOUR, at(0), category="Home > Kitchen") == [
        Ranked("kettle", 2),
        Ranked("pan", 1),
    ]
    assert trends.top(CATEGORY, Window.HOUR, at(0)) == [Ranked("Home", 4), Ranked("Toys", 1)]
    assert trends.top(CATEGORY, Window.HOUR, at(0), category=("Home",)) == [
        Ranked("Home/Kitchen", 3),
        Ranked("Home/Garden", 1),
    ]
    assert trends.top(CATEGORY, Window.HOUR, at(0), k=1, category="Home/Kitchen") == [
        Ranked("Home/Kitchen/Kettles", 2)
    ]


def test_bad_queries_say_what_is_wrong() -> None:
    trends = Trends()
    with pytest.raises(InvalidTrendQuery, match="category applies to product and category"):
        trends.top(SEARCH, Window.HOUR, at(0), category="Home")
    with pytest.raises(InvalidTrendQuery, match="kind must be one of") as info:
        trends.count("brand", "x", Window.HOUR, at(0))  # type: ignore[arg-type]
    assert info.value.code == "trends.invalid-query" and info.value.field == "kind"
    with pytest.raises(InvalidTrendQuery, match="window must be one of"):
        trends.top(PRODUCT, "2h", at(0))  # type: ignore[arg-type]
    with pytest.raises(InvalidTrendQuery, match="baseline must be a longer window"):
        trends.emerging(PRODUCT, at(0), short=Window.DAY, baseline=Window.HOUR)
    with pytest.raises(InvalidTrendQuery, match="alpha must be in"):
        trends.emerging(PRODUCT, at(0), alpha=1.5)


# -- idempotency, expiry, snapshots -------------------------------------------------------------


def stream() -> list[Message]:
    cats = ["Home/Kitchen", "Home/Garden", "Toys"]
    messages = [
        view(f"p{i % 7}", i * 3.7, category=cats[i % 3], store_id="s1" if i % 4 == 0 else None)
        for i in range(60)
    ]
    messages += [track("Products Searched", i * 11.0, query=f"term {i % 3}") for i in range(20)]
    messages.append(
        track("Signal Received", 100, kind="weather.heatwave", region="UK", values={"temp_c": 34})
    )
    return sorted(messages, key=lambda m: m.received_at or T0)


def fingerprint(trends: Trends, now: datetime) -> dict[str, Any]:
    """Everything a reader can see: counts of every key in every window and scope, signals."""
    seen: dict[str, Any] = {}
    for kind in TrendKind:
        for store in (None, StoreId("s1")):
            for window in Window:
                ranked = trends.top(kind, window, now, k=1000, store_id=store)
                if kind is TrendKind.CATEGORY:
                    ranked += trends.top(kind, window, now, k=1000, store_id=store, category="Home")
                seen[f"{kind}/{store}/{window}"] = ranked
    seen["signals"] = trends.signals("uk", now)
    return seen


def test_replaying_offsets_changes_nothing() -> None:
    messages = stream()
    once, twice = Trends(), Trends()
    feed(once, messages)
    feed(twice, messages[:50])
    feed(twice, messages)  # offsets 1..50 again, then the rest
    assert twice.apply(messages[0], offset=3, now=at(500)) is False
    assert twice.last_offset == len(messages)
    assert fingerprint(once, at(300)) == fingerprint(twice, at(300))
    assert once.to_snapshot() == twice.to_snapshot()


def test_snapshot_round_trips_through_json_and_resumes() -> None:
    messages = stream()
    whole, first = Trends(), Trends()
    feed(whole, messages)
    feed(first, messages[:40])
    restored = Trends.from_snapshot(json.loads(json.dumps(first.to_snapshot())))
    assert restored.to_snapshot() == first.to_snapshot()
    feed(restored, messages)  # replays from the start: the first 40 are skipped
    assert fingerprint(restored, at(300)) == fingerprint(whole, at(300))
    assert restored.to_snapshot() == whole.to_snapshot()


def test_snapshots_of_other_layouts_or_versions_are_refused() -> None:
    snapshot = Trends().to_snapshot()
    with pytest.raises(InvalidTrendSnapshot, match="bucket_seconds"):
        Trends.from_snapshot(snapshot, TrendRules(bucket_seconds=(30, 60, 900, 7200)))
    with pytest.raises(InvalidTrendSnapshot, match="version"):
        Trends.from_snapshot({**snapshot, "version": 0})
    with pytest.raises(InvalidTrendSnapshot, match="malformed") as info:
        Trends.from_snapshot(
            {**snapshot, "counters": [{"kind": "product", "store": None, "rows": [["p", [1, 2]]]}]}
        )
    assert info.value.code == "trends.invalid-snapshot"


def test_expire_forgets_keys_a_week_old_and_their_categories() -> None:
    trends = Trends()
    feed(
        trends,
        [view("old", 0, category="Toys", store_id="s1"), view("new", 60 * 24 * 6, category="Toys")],
    )
    assert len(trends) == 5  # old, new and Toys; old and Toys in s1
    assert trends.expire(at(60 * 24 * 7 - 1)) == 0
    assert trends.expire(at(60 * 24 * 7 + 1)) == 3
    assert len(trends) == 2
    assert trends.top(PRODUCT, Window.WEEK, at(60 * 24 * 7 + 1)) == [Ranked("new", 1)]
    assert trends.top(PRODUCT, Window.WEEK, at(60 * 24 * 7 + 1), store_id=StoreId("s1")) == []
    assert "old" not in trends.to_snapshot()["categories"]


# -- merging ------------------------------------------------------------------------------------


@given(st.lists(st.booleans(), min_size=81, max_size=81))
@settings(max_examples=25, deadline=None)
def test_merging_two_trends_equals_applying_everything_to_one(sides: list[bool]) -> None:
    messages = stream()
    whole, left, right = Trends(), Trends(), Trends()
    feed(whole, messages)
    for offset, (message, side) in enumerate(zip(messages, sides, strict=False), 1):
        assert message.received_at is not None
        (left if side else right).apply(message, offset=offset, now=message.received_at)
    left.merge(right)
    assert left.last_offset == whole.last_offset
    assert left.clock == whole.clock
    for minute in (300, 400, 60 * 30):
        assert fingerprint(left, at(minute)) == fingerprint(whole, at(minute))


def test_merging_trends_of_other_layouts_is_refused() -> None:
    with pytest.raises(InvalidTrendQuery, match="same bucket_seconds"):
        Trends().merge(Trends(TrendRules(bucket_seconds=(30, 60, 900, 7200))))
