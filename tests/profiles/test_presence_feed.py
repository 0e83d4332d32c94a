"""Presence as it happens: changes read from events, fanned out, and who is in a store now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from shopstream.core import CustomerId, StoreId
from shopstream.events import parse_message
from shopstream.profiles import PresenceChange, PresenceFeed, Profiles, presence_change, present_at

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def track(user: str, event: str, at: datetime = T0, **props: Any) -> Any:
    return parse_message(
        {
            "type": "track",
            "userId": user,
            "event": event,
            "properties": props,
            "timestamp": at.isoformat(),
        },
        source="test",
        received_at=at,
    )


def test_store_and_zone_entries_and_exits_are_changes() -> None:
    entered = presence_change(track("u1", "Store Entered", store_id="s1"), CustomerId("c1"))
    assert entered == PresenceChange(CustomerId("c1"), StoreId("s1"), None, T0, entered=True)
    zone = presence_change(
        track("u1", "Store Zone Entered", store_id="s1", zone_id="z-home"), CustomerId("c1")
    )
    assert zone is not None and zone.zone_id == "z-home" and zone.entered
    left = presence_change(track("u1", "Store Exited", store_id="s1"), CustomerId("c1"))
    assert left is not None and not left.entered
    assert presence_change(track("u1", "Product Viewed", product_id="p1"), CustomerId("c1")) is None
    assert presence_change(track("u1", "Store Entered", store_id="s1"), None) is None


async def test_the_feed_fans_out_and_drops_the_oldest_when_a_listener_lags() -> None:
    feed = PresenceFeed(maxsize=2)
    changes = [
        PresenceChange(CustomerId(f"c{i}"), StoreId("s1"), None, T0, entered=True) for i in range(3)
    ]
    with feed.subscribe() as first, feed.subscribe() as second:
        assert len(feed) == 2
        for change in changes:
            feed.publish(change)
        assert [first.get_nowait().customer_id for _ in range(2)] == ["c1", "c2"]
        assert second.qsize() == 2
    assert len(feed) == 0
    feed.publish(changes[0])  # nobody listens: nothing happens


def test_present_at_lists_who_is_in_the_store_within_the_ttl() -> None:
    profiles = Profiles()
    events = [("c1", "s1", T0), ("c2", "s1", T0 + timedelta(minutes=5)), ("c3", "s2", T0)]
    for offset, (customer, store, at) in enumerate(events):
        message = track(customer, "Store Entered", at, store_id=store)
        profiles.apply(CustomerId(customer), message, offset=offset, now=at)
    now = T0 + timedelta(minutes=6)
    assert present_at(profiles, StoreId("s1"), now) == ["c2", "c1"]
    ttl = profiles.rules.presence_ttl
    assert present_at(profiles, StoreId("s1"), T0 + ttl + timedelta(minutes=1)) == ["c2"]
