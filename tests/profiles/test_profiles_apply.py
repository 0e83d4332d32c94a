from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shopstream.catalog import Catalog, Product
from shopstream.core import CustomerId, ProductId
from shopstream.events import Message, parse_message
from shopstream.profiles import (
    InvalidProfileSnapshot,
    MemoryProfileStore,
    ProfileRules,
    Profiles,
    Purpose,
)

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
C1 = CustomerId("c1")


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def track(event: str, minute: float = 0, channel: str = "web", **properties: Any) -> Message:
    raw = {
        "type": "track",
        "userId": "u1",
        "event": event,
        "properties": properties,
        "timestamp": at(minute).isoformat(),
        "context": {"channel": channel},
    }
    return parse_message(raw, source="test", received_at=at(minute))


def identify(minute: float = 0, **traits: Any) -> Message:
    raw = {
        "type": "identify",
        "userId": "u1",
        "traits": traits,
        "timestamp": at(minute).isoformat(),
    }
    return parse_message(raw, source="test", received_at=at(minute))


def feed(
    profiles: Profiles, messages: list[Message], customer: CustomerId = C1, start: int = 0
) -> None:
    for offset, message in enumerate(messages, start):
        profiles.apply(customer, message, offset=offset, now=message.timestamp or T0)


def view(profiles: Profiles, minute: float, customer: CustomerId = C1) -> dict[str, Any]:
    result = profiles.view(customer, now=at(minute))
    assert result is not None
    return result


def test_traits_latest_wins_and_older_events_only_fill_gaps() -> None:
    profiles = Profiles()
    feed(profiles, [identify(10, name="Ana", tier="gold"), identify(5, name="Old", city="Porto")])
    assert view(profiles, 11)["traits"] == {"name": "Ana", "tier": "gold", "city": "Porto"}


def test_consent_from_traits_and_events_latest_wins() -> None:
    profiles = Profiles()
    feed(
        profiles,
        [
            identify(2, consent={"email": True, "sms": True, "bogus": True}),
            track("Consent Updated", 5, purpose="sms", granted=False),
            track("Consent Updated", 1, purpose="email", granted=False),  # older: ignored
        ],
    )
    consent = view(profiles, 6)["consent"]
    assert consent == {
        "personalization": None,
        "email": True,
        "sms": False,
        "push": None,
        "ads": None,
    }
    profile = profiles.get(C1)
    assert profile is not None and profile.consents_to(Purpose.SMS) is False
    assert "consent" not in (profile.traits or {})


def test_cart_adds_removes_clamps_and_clears_on_order() -> None:
    profiles = Profiles()
    feed(
        profiles,
        [
            track("Product Added", 0, product_id="p1", quantity=2),
            track("Product Added", 1, product_id="p2"),
            track("Product Removed", 2, product_id="p1", quantity=5),
            track("Product Removed", 3, product_id="p9"),
        ],
    )
    assert profiles.get(C1).cart == {"p2": 1}  # type: ignore[union-attr]
    feed(profiles, [track("Order Completed", 4, order_id="o1", total=10)], start=10)
    assert view(profiles, 5)["cart"]["lines"] == []


def test_wishlist_adds_once_and_removes() -> None:
    profiles = Profiles()
    feed(
        profiles,
        [
            track("Product Added to Wishlist", 0, product_id="p1"),
            track("Product Added to Wishlist", 1, product_id="p2"),
            track("Product Added to Wishlist", 2, product_id="p1"),
            track("Product Removed from Wishlist", 3, product_id="p2"),
        ],
    )
    assert view(profiles, 4)["wishlist"] == ["p1"]


def test_orders_feed_rfm_and_are_bounded_and_deduplicated() -> None:
    profiles = Profiles(ProfileRules(recent_orders=2))
    lines = [{"product_id": "p1", "quantity": 2, "price": 5.0}]
    feed(
        profiles,
        [
            track("Order Completed", 0, order_id="o1", products=lines),
            track("Order Completed", 1, channel="pos", order_id="o2", total=7, store_id="s1"),
            track("Order Completed", 2, order_id="o3", revenue=3),
            track("Order Completed", 3, order_id="o3", revenue=3),
        ],
    )
    result = view(profiles, 3)
    assert result["rfm"]["order_count"] == 3
    assert result["rfm"]["revenue"] == 20.0
    assert result["rfm"]["last_order_at"] == at(2).isoformat()
    assert [o["order_id"] for o in result["orders"]] == ["o3", "o2"]
    assert result["orders"][1]["channel"] == "pos"
    assert result["orders"][1]["store_id"] == "s1"


def test_recent_views_are_bounded_and_newest_first() -> None:
    profiles = Profiles(ProfileRules(recent_views=2))
    feed(profiles, [track("Product Viewed", m, product_id=p) for m, p in enumerate("abca")])
    assert [v["product_id"] for v in view(profiles, 5)["recently_viewed"]] == ["a", "c"]


def test_affinities_decay_and_use_catalog_when_event_lacks_them() -> None:
    catalog = Catalog()
    catalog.upsert_products([Product(ProductId("p1"), "Kettle", ("Home", "Kitchen"), "Brew")])
    rules = ProfileRules(affinity_half_life=timedelta(hours=1))
    profiles = Profiles(rules, lookup=catalog.product)
    feed(
        profiles,
        [
            track("Product Viewed", 0, product_id="p1"),
            track("Product Added", 0, product_id="p2", category="Toys > Lego", brand="Lego"),
        ],
    )
    result = view(profiles, 60)
    assert result["affinities"]["categories"] == [
        {"key": "Toys/Lego", "score": pytest.approx(1.5)},
        {"key": "Home/Kitchen", "score": pytest.approx(0.5)},
    ]
    assert [b["key"] for b in result["affinities"]["brands"]] == ["Lego", "Brew"]


def test_store_visits_presence_zone_exit_and_ttl() -> None:
    profiles = Profiles(ProfileRules(presence_ttl=timedelta(hours=2)))
    feed(
        profiles,
        [
            track("Store Entered", 0, channel="store", store_id="s1"),
            track("Store Zone Entered", 5, channel="store", store_id="s1", zone_id="kitchen"),
        ],
    )
    result = view(profiles, 10)
    assert result["presence"] == {
        "store_id": "s1",
        "zone_id": "kitchen",
        "since": at(5).isoformat(),
    }
    assert result["store_visits"] == [
        {"store_id": "s1", "count": 1, "last_visit": at(0).isoformat()}
    ]
    assert view(profiles, 5 + 121)["presence"] is None  # expired
    feed(profiles, [track("Store Exited", 20, store_id="s2")], start=5)
    assert view(profiles, 21)["presence"] is not None  # another store's exit
    feed(profiles, [track("Store Exited", 21, store_id="s1")], start=6)
    assert view(profiles, 22)["presence"] is None
    feed(profiles, [track("Store Entered", 300, store_id="s1")], start=7)
    assert view(profiles, 301)["store_visits"][0]["count"] == 2


def test_presence_already_expired_at_processing_time_is_dropped() -> None:
    profiles = Profiles()
    profiles.apply(C1, track("Store Entered", 0, store_id="s1"), offset=0, now=at(600))
    profile = profiles.get(C1)
    assert profile is not None and profile.store_id is None


def test_session_intent_orders_event_types_and_resets() -> None:
    profiles = Profiles()
    feed(profiles, [track("Product Viewed", 0, product_id="p1")])
    viewed = view(profiles, 0)["session"]["intent"]
    feed(profiles, [track("Product Added", 0, product_id="p1")], start=1)
    added = view(profiles, 0)["session"]["intent"]
    feed(profiles, [track("Checkout Started", 0)], start=2)
    checkout = view(profiles, 0)["session"]["intent"]
    assert 0 < viewed < added - viewed < checkout - added
    assert view(profiles, 31)["session"] == {"active": False, "intent": 0.0, "sessions": 1}
    feed(profiles, [track("Product Viewed", 45, product_id="p2")], start=3)
    assert view(profiles, 45)["session"] == {"active": True, "intent": 1.0, "sessions": 2}
    feed(profiles, [track("Order Completed", 46, order_id="o1")], start=4)
    assert view(profiles, 46)["session"]["intent"] == 0.0


def test_channels_counts_and_seen_times() -> None:
    profiles = Profiles()
    feed(
        profiles,
        [track("Email Opened", 3, channel="email"), track("Product Viewed", 1, product_id="p")],
    )
    result = view(profiles, 4)
    assert result["channels"] == {"email": 1, "web": 1}
    assert result["event_count"] == 2
    assert (result["first_seen"], result["last_seen"]) == (at(1).isoformat(), at(3).isoformat())
    json.dumps(result)


def test_apply_is_idempotent_per_customer_offset() -> None:
    profiles = Profiles()
    message = track("Product Added", 0, product_id="p1")
    assert profiles.apply(C1, message, offset=5, now=T0)
    assert not profiles.apply(C1, message, offset=5, now=T0)
    assert not profiles.apply(C1, message, offset=4, now=T0)
    assert profiles.apply(CustomerId("c2"), message, offset=5, now=T0)
    assert profiles.get(C1).cart == {"p1": 1}  # type: ignore[union-attr]


def test_merge_folds_loser_into_winner() -> None:
    profiles = Profiles()
    winner, loser = CustomerId("w"), CustomerId("l")
    feed(
        profiles,
        [
            identify(0, name="Ana"),
            track("Product Added", 1, product_id="p1", quantity=1),
            track("Order Completed", 2, order_id="o1", total=10),
        ],
        customer=winner,
    )
    feed(
        profiles,
        [
            identify(5, name="Ana Silva"),
            track("Product Added", 6, product_id="p2"),
            track("Order Completed", 2, order_id="o1", total=10),
            track("Order Completed", 7, order_id="o2", total=5),
        ],
        customer=loser,
        start=10,
    )
    merged = profiles.merge(winner, loser)
    assert merged is not None and loser not in profiles
    result = view(profiles, 8, winner)
    assert result["traits"]["name"] == "Ana Silva"
    assert result["rfm"]["order_count"] == 2
    assert result["rfm"]["revenue"] == 15.0
    assert [o["order_id"] for o in result["orders"]] == ["o2", "o1"]
    assert result["event_count"] == 7
    assert merged.last_offset == 13
    assert profiles.merge(CustomerId("new"), winner) is not None
    assert profiles.merge(CustomerId("x"), CustomerId("y")) is None


def test_merge_cart_takes_the_larger_quantity_per_line() -> None:
    profiles = Profiles()
    feed(
        profiles, [track("Product Added", 0, product_id="p1", quantity=2)], customer=CustomerId("w")
    )
    feed(
        profiles,
        [track("Product Added", 1, product_id="p1"), track("Product Added", 1, product_id="p2")],
        customer=CustomerId("l"),
        start=5,
    )
    merged = profiles.merge(CustomerId("w"), CustomerId("l"))
    assert merged is not None and merged.cart == {"p1": 2, "p2": 1}


def test_drop_and_rebuild() -> None:
    profiles = Profiles()
    messages = [
        track("Product Added", 0, product_id="p1"),
        track("Product Added", 1, product_id="p2"),
    ]
    feed(profiles, messages)
    rebuilt = profiles.rebuild(C1, [(7, messages[1])], now=at(2))
    assert rebuilt is not None and rebuilt.cart == {"p2": 1} and rebuilt.last_offset == 7
    assert profiles.rebuild(C1, [], now=at(2)) is None
    assert not profiles.drop(C1)
    feed(profiles, messages)
    assert profiles.drop(C1) and profiles.get(C1) is None and profiles.view(C1, now=T0) is None


def test_snapshot_round_trip_is_json_and_exact() -> None:
    profiles = Profiles()
    feed(
        profiles,
        [
            identify(0, name="Ana", consent={"email": True}),
            track("Product Viewed", 1, product_id="p1", category="Home", brand="Brew"),
            track("Product Added", 2, product_id="p1"),
            track("Product Added to Wishlist", 3, product_id="p2"),
            track("Store Zone Entered", 4, store_id="s1", zone_id="z1"),
            track("Store Entered", 4, store_id="s1"),
            track(
                "Order Completed", 5, order_id="o1", products=[{"product_id": "p1", "price": 3.0}]
            ),
        ],
    )
    data = json.loads(json.dumps(profiles.to_snapshot()))
    restored = Profiles.from_snapshot(data)
    assert restored.to_snapshot() == profiles.to_snapshot()
    assert restored.view(C1, now=at(6)) == profiles.view(C1, now=at(6))
    assert len(restored) == 1 and list(restored) == [C1]


def test_from_snapshot_rejects_bad_data() -> None:
    with pytest.raises(InvalidProfileSnapshot, match="version"):
        Profiles.from_snapshot({"version": 0})
    with pytest.raises(InvalidProfileSnapshot, match="malformed") as info:
        Profiles.from_snapshot({"version": 1, "profiles": {"c1": {"event_count": 1}}})
    assert info.value.field == "profiles.c1"


async def test_memory_store_keeps_copies() -> None:
    profiles = Profiles()
    feed(profiles, [track("Product Added", 0, product_id="p1")])
    store = MemoryProfileStore()
    profile = profiles.get(C1)
    assert profile is not None
    await store.put([profile])
    stored = await store.get(C1)
    assert stored is not None and stored.cart == {"p1": 1} and stored is not profile
    assert await store.delete(C1)
    assert await store.get(C1) is None
