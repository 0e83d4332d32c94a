"""What simulated shoppers do shows their hidden tastes, habits, rhythms and consent."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from shopstream.catalog import ONLINE, Zone, parse_category
from shopstream.core import StoreId
from shopstream.events import Channel, EventName
from shopstream.simulate import (
    Behaviour,
    Shopper,
    Simulator,
    generate_catalogue,
    generate_shoppers,
)

START = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
CATALOGUE = generate_catalogue(7, products=500, stores=4)
SHOPPERS = generate_shoppers(CATALOGUE, 300, seed=7)
Event = tuple[datetime, dict[str, Any]]


@pytest.fixture(scope="module")
def week() -> list[Event]:
    return list(Simulator(7, CATALOGUE, SHOPPERS, START).events(timedelta(days=7)))


def _owners() -> dict[str, Shopper]:
    """Who is behind each anonymousId and userId a shopper's devices send."""
    owners: dict[str, Shopper] = {}
    for shopper in SHOPPERS:
        owners[shopper.web_anonymous_id] = shopper
        if shopper.app:
            owners[shopper.app.anonymous_id] = shopper
        if shopper.user_id:
            owners[shopper.user_id] = shopper
    return owners


def _owner(raw: dict[str, Any], owners: dict[str, Shopper]) -> Shopper | None:
    return owners.get(raw.get("anonymousId", "")) or owners.get(raw.get("userId", ""))


def _named(events: list[Event], name: EventName) -> list[Event]:
    return [(at, raw) for at, raw in events if raw.get("event") == name]


def test_every_kind_of_event_is_simulated(week: list[Event]) -> None:
    kinds = {raw.get("event") or raw["type"] for _, raw in week}
    assert kinds >= {"page", "screen", "identify"}
    assert kinds >= {
        str(name)
        for name in (
            EventName.PRODUCTS_SEARCHED,
            EventName.PRODUCT_LIST_VIEWED,
            EventName.PRODUCT_CLICKED,
            EventName.PRODUCT_VIEWED,
            EventName.PRODUCT_ADDED,
            EventName.PRODUCT_REMOVED,
            EventName.PRODUCT_ADDED_TO_WISHLIST,
            EventName.CART_VIEWED,
            EventName.CHECKOUT_STARTED,
            EventName.ORDER_COMPLETED,
            EventName.STORE_ENTERED,
            EventName.STORE_ZONE_ENTERED,
            EventName.STORE_EXITED,
            EventName.EMAIL_OPENED,
            EventName.EMAIL_LINK_CLICKED,
            EventName.PUSH_OPENED,
            EventName.AD_CLICKED,
            EventName.CONSENT_UPDATED,
            EventName.INVENTORY_UPDATED,
        )
    }


def test_shoppers_view_their_favourite_categories_most(week: list[Event]) -> None:
    owners = _owners()
    own = shifted = total = 0
    views_by: dict[str, Counter[tuple[str, ...]]] = defaultdict(Counter)
    for index, (_, raw) in enumerate(_named(week, EventName.PRODUCT_VIEWED)):
        shopper = _owner(raw, owners)
        assert shopper is not None
        category = parse_category(raw["properties"]["category"])
        views_by[shopper.id][category] += 1
        # Compare with the favourites of another shopper, as a baseline.
        other = SHOPPERS[(SHOPPERS.index(shopper) + 1 + index) % len(SHOPPERS)]
        total += 1
        own += category in _favourites(shopper)
        shifted += category in _favourites(other)
    assert total > 1000
    assert own / total > 0.35
    assert own > 3 * shifted
    # And shopper by shopper: more of their views fall in their own favourites than, on
    # average, in other shoppers' favourites.
    favourites = {s.id: _favourites(s) for s in SHOPPERS}
    busy = [s for s in SHOPPERS if sum(views_by[s.id].values()) >= 10]
    wins = 0
    for shopper in busy:
        views = views_by[shopper.id]
        mine = sum(views[c] for c in favourites[shopper.id])
        others = [sum(views[c] for c in favourites[o.id]) for o in SHOPPERS if o is not shopper]
        wins += mine > sum(others) / len(others)
    assert len(busy) > 40 and wins / len(busy) > 0.8


def _favourites(shopper: Shopper) -> set[tuple[str, ...]]:
    shares = shopper.taste.categories
    return set(sorted(shares, key=lambda c: -shares[c])[:3])


def test_orders_hold_what_was_added_in_the_session(week: list[Event]) -> None:
    carts: dict[str, Counter[str]] = defaultdict(Counter)
    last_seen: dict[str, datetime] = {}
    online_orders = 0
    for at, raw in week:
        device = raw.get("anonymousId")
        if raw["type"] != "track" or device is None or raw["context"].get("channel") == "pos":
            continue
        if at - last_seen.get(device, at) > timedelta(minutes=30):
            carts[device].clear()  # a new session (carts last a session)
        last_seen[device] = at
        props = raw["properties"]
        if raw["event"] == EventName.PRODUCT_ADDED:
            assert props["quantity"] > 0
            carts[device][props["product_id"]] += props["quantity"]
        elif raw["event"] == EventName.PRODUCT_REMOVED:
            assert props["quantity"] > 0
            carts[device][props["product_id"]] -= props["quantity"]
            assert carts[device][props["product_id"]] >= 0
        elif raw["event"] in (EventName.CHECKOUT_STARTED, EventName.ORDER_COMPLETED):
            lines = {line["product_id"]: line["quantity"] for line in props["products"]}
            assert lines and all(quantity > 0 for quantity in lines.values())
            assert all(quantity <= carts[device][pid] for pid, quantity in lines.items())
            if raw["event"] == EventName.ORDER_COMPLETED:
                online_orders += 1
                revenue = sum(line["price"] * line["quantity"] for line in props["products"])
                assert props["revenue"] == pytest.approx(revenue)
                assert props["total"] >= props["revenue"]
                carts[device].clear()
    assert online_orders > 50


def test_till_sales_name_a_store_and_what_it_carries(week: list[Event]) -> None:
    carried = {(loc, pid) for loc, pid, _ in CATALOGUE.stock if loc != ONLINE}
    stores = {store.id for store in CATALOGUE.stores}
    sales = [raw for _, raw in _named(week, EventName.ORDER_COMPLETED)]
    till = [raw for raw in sales if raw["context"].get("channel") == "pos"]
    assert len(till) > 50
    for raw in till:
        props = raw["properties"]
        assert props["store_id"] in stores
        assert raw["context"]["library"]["name"] == "shopstream-pos"
        for line in props["products"]:
            assert line["quantity"] > 0
            assert (props["store_id"], line["product_id"]) in carried
    assert len({raw["properties"]["order_id"] for raw in sales}) == len(sales)


def test_store_events_reference_real_stores_and_zones(week: list[Event]) -> None:
    stores = {store.id: store for store in CATALOGUE.stores}
    owners = _owners()
    inside: dict[str, StoreId] = {}
    entered = zones = 0
    for _, raw in week:
        event = raw.get("event")
        if event not in (
            EventName.STORE_ENTERED,
            EventName.STORE_ZONE_ENTERED,
            EventName.STORE_EXITED,
        ):
            continue
        props, device = raw["properties"], raw["anonymousId"]
        assert raw["context"]["channel"] == "store"
        assert props["store_id"] in stores
        shopper = _owner(raw, owners)
        assert shopper is not None and shopper.app is not None
        assert shopper.consent["personalization"]
        if event == EventName.STORE_ENTERED:
            entered += 1
            inside[device] = props["store_id"]
        elif event == EventName.STORE_ZONE_ENTERED:
            zones += 1
            assert inside[device] == props["store_id"]
            assert stores[props["store_id"]].zone(props["zone_id"]) is not None
        else:
            assert inside.pop(device) == props["store_id"]
    assert entered > 20 and zones >= entered


def test_zones_visited_hold_more_of_the_shoppers_taste_than_zones_at_random(
    week: list[Event],
) -> None:
    owners = _owners()
    stores = {store.id: store for store in CATALOGUE.stores}
    visited = average = 0.0
    for _, raw in _named(week, EventName.STORE_ZONE_ENTERED):
        shopper = _owner(raw, owners)
        store = stores[raw["properties"]["store_id"]]
        zone = store.zone(raw["properties"]["zone_id"])
        assert shopper is not None and zone is not None
        visited += _held(zone, shopper)
        average += sum(_held(z, shopper) for z in store.zones) / len(store.zones)
    assert visited > 1.5 * average


def _held(zone: Zone, shopper: Shopper) -> float:
    """The share of a shopper's taste that a zone holds."""
    shares = shopper.taste.categories
    return sum(share for path, share in shares.items() if zone.depth_for(path))


def test_more_happens_at_lunch_and_in_the_evening_than_at_night(week: list[Event]) -> None:
    owners = _owners()
    by_hour: Counter[int] = Counter()
    for at, raw in week:
        shopper = _owner(raw, owners)
        if shopper is not None:
            by_hour[at.astimezone(ZoneInfo(shopper.timezone)).hour] += 1
    busy = [by_hour[h] for h in (12, 13, 18, 19, 20)]
    quiet = [by_hour[h] for h in (3, 4)]
    assert min(busy) > 5 * max(quiet)


def test_weekends_are_busier_than_weekdays(week: list[Event]) -> None:
    sessions: Counter[int] = Counter()
    for at, raw in week:
        if raw["type"] in ("page", "screen"):
            sessions[at.astimezone(ZoneInfo("America/New_York")).weekday()] += 1
    assert (sessions[5] + sessions[6]) / 2 > (sessions[1] + sessions[2] + sessions[3]) / 3


def test_identities_and_consent_follow_the_shoppers(week: list[Event]) -> None:
    owners = _owners()
    identified: set[str] = set()
    for _, raw in week:
        shopper = _owner(raw, owners)
        if raw["type"] == "identify":
            assert shopper is not None and shopper.user_id == raw["userId"]
            assert raw["traits"]["email"] == shopper.email
            assert raw["traits"]["consent"] == dict(shopper.consent)
            identified.add(shopper.id)
        if "userId" in raw:
            assert shopper is not None and shopper.known
        if raw.get("event") == EventName.EMAIL_OPENED:
            assert shopper is not None and shopper.consent["email"]
        if raw.get("event") == EventName.PUSH_OPENED:
            assert shopper is not None and shopper.consent["push"]
        if raw.get("event") == EventName.CONSENT_UPDATED:
            assert shopper is not None
            purpose = raw["properties"]["purpose"]
            assert raw["properties"]["granted"] == shopper.consent[purpose]
    anonymous = {s.id for s in SHOPPERS if not s.known}
    seen = {s.id for _, raw in week if (s := _owner(raw, owners)) is not None}
    assert identified and not identified & anonymous and seen & anonymous


def test_restocks_bring_stock_back_after_sales(week: list[Event]) -> None:
    opening = {(loc, pid): qty for loc, pid, qty in CATALOGUE.stock}
    restocks = _named(week, EventName.INVENTORY_UPDATED)
    assert restocks
    for _, raw in restocks:
        props = raw["properties"]
        location = ONLINE if props.get("online") else props["store_id"]
        assert props["quantity"] == opening[(location, props["product_id"])]
        assert raw["context"]["channel"] == "server"


def test_behaviour_refuses_an_app_session_without_the_app() -> None:
    shopper = next(s for s in SHOPPERS if s.app is None)
    with pytest.raises(ValueError, match="no app"):
        Behaviour(CATALOGUE, seed=1).online(shopper, START, channel=Channel.APP)
    with pytest.raises(ValueError, match="web or app"):
        Behaviour(CATALOGUE, seed=1).online(shopper, START, channel=Channel.POS)
