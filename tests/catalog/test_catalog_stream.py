from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopstream.catalog import (
    Catalog,
    InvalidCatalogData,
    MemoryCatalogStore,
    Product,
    Store,
    UnknownProduct,
    UnknownStore,
    Zone,
)
from shopstream.core import ProductId, StoreId
from shopstream.events import Message, parse_message

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def track(event: str, **properties: Any) -> Message:
    raw = {"type": "track", "userId": "u1", "event": event, "properties": properties}
    return parse_message(raw, source="test", received_at=NOW)


def inventory(product_id: str, quantity: int, store_id: str | None = None) -> Message:
    where: dict[str, Any] = {"store_id": store_id} if store_id else {"online": True}
    return track("Inventory Updated", product_id=product_id, quantity=quantity, **where)


def order(
    lines: list[tuple[str, int]], store_id: str | None = None, order_id: str = "o1"
) -> Message:
    props: dict[str, Any] = {
        "order_id": order_id,
        "products": [{"product_id": p, "quantity": q} for p, q in lines],
    }
    if store_id:
        props["store_id"] = store_id
    return track("Order Completed", **props)


def feed(catalog: Catalog, messages: list[Message], start: int = 0) -> None:
    for offset, message in enumerate(messages, start):
        catalog.apply(message, offset=offset, now=NOW)


def test_inventory_updated_sets_absolute_levels() -> None:
    catalog = Catalog()
    feed(catalog, [inventory("p1", 5, "s1"), inventory("p1", 3, "s1"), inventory("p1", 9)])
    assert catalog.stock(ProductId("p1"), StoreId("s1")) == 3
    assert catalog.stock(ProductId("p1")) == 9


def test_order_completed_decrements_at_its_store_or_online() -> None:
    catalog = Catalog()
    feed(
        catalog,
        [
            inventory("p1", 5, "s1"),
            inventory("p1", 5),
            order([("p1", 2)], store_id="s1"),
            order([("p1", 1)], order_id="o2"),
        ],
    )
    assert catalog.stock(ProductId("p1"), StoreId("s1")) == 3
    assert catalog.stock(ProductId("p1")) == 4


def test_overselling_goes_negative_but_available_is_clamped() -> None:
    catalog = Catalog()
    feed(catalog, [inventory("p1", 1), order([("p1", 3)])])
    assert catalog.stock(ProductId("p1")) == -2
    assert catalog.available(ProductId("p1")) == 0


def test_order_line_without_quantity_counts_one() -> None:
    catalog = Catalog()
    message = track("Order Completed", order_id="o1", products=[{"product_id": "p1"}])
    feed(catalog, [inventory("p1", 2), message])
    assert catalog.stock(ProductId("p1")) == 1


def test_replayed_offsets_are_ignored() -> None:
    catalog = Catalog()
    assert catalog.apply(inventory("p1", 5), offset=10, now=NOW)
    assert catalog.apply(order([("p1", 1)]), offset=11, now=NOW)
    assert not catalog.apply(order([("p1", 1)]), offset=11, now=NOW)
    assert not catalog.apply(order([("p1", 1)]), offset=3, now=NOW)
    assert catalog.stock(ProductId("p1")) == 4
    assert catalog.last_offset == 11


def test_unknown_products_are_learned_from_events_but_known_ones_kept() -> None:
    catalog = Catalog()
    catalog.upsert_products([Product(ProductId("p1"), "Kettle", ("Home",), price=30.0)])
    feed(
        catalog,
        [
            track("Product Viewed", product_id="p1", name="Renamed", price=1),
            track(
                "Product Viewed",
                product_id="p2",
                name="Mug",
                category="Home/Kitchen",
                brand="Brew",
                price=4.5,
            ),
            track("Checkout Started", products=[{"product_id": "p3", "category": "Toys"}]),
            track("Product Viewed", product_id="p4"),
        ],
    )
    assert catalog.require(ProductId("p1")).name == "Kettle"
    mug = catalog.require(ProductId("p2"))
    assert (mug.category, mug.brand, mug.price) == (("Home", "Kitchen"), "Brew", 4.5)
    assert catalog.require(ProductId("p3")).name == "p3"
    assert catalog.product(ProductId("p4")) is None
    with pytest.raises(UnknownProduct):
        catalog.require(ProductId("p4"))


def test_search_ranks_by_matched_tokens_and_reindexes_on_upsert() -> None:
    catalog = Catalog()
    catalog.upsert_products(
        [
            Product(ProductId("p1"), "Glass kettle", ("Home", "Kitchen"), brand="Brew"),
            Product(ProductId("p2"), "Steel kettle", ("Home", "Kitchen")),
            Product(ProductId("p3"), "Garden hose", ("Garden",)),
        ]
    )
    assert [p.id for p in catalog.search("brew KETTLE")] == ["p1", "p2"]
    assert [p.id for p in catalog.search("kettle", limit=1)] == ["p1"]
    catalog.upsert_products([Product(ProductId("p1"), "Teapot", ("Home",))])
    assert [p.id for p in catalog.search("kettle")] == ["p2"]
    assert catalog.search("nothing") == []


def test_zone_for_finds_the_deepest_zone() -> None:
    catalog = Catalog()
    zones = (
        Zone("home", "Home", (("Home",),)),
        Zone("kitchen", "Kitchen", (("Home", "Kitchen"),)),
    )
    catalog.upsert_stores([Store(StoreId("s1"), "Main", 48.85, 2.35, "Europe/Paris", zones)])
    assert catalog.zone_for(StoreId("s1"), "Home > Kitchen > Kettles").id == "kitchen"  # type: ignore[union-attr]
    assert catalog.zone_for(StoreId("s1"), ("Home", "Bath")).id == "home"  # type: ignore[union-attr]
    assert catalog.zone_for(StoreId("s1"), "Toys") is None
    with pytest.raises(UnknownStore):
        catalog.zone_for(StoreId("nope"), "Home")
    assert [s.id for s in catalog.stores()] == ["s1"]


def test_snapshot_round_trips_and_is_json() -> None:
    import json

    catalog = Catalog()
    catalog.upsert_products([Product(ProductId("p1"), "Kettle", ("Home",), "Brew", 30.0, {"w": 2})])
    catalog.upsert_stores(
        [Store(StoreId("s1"), "Main", 1.0, 2.0, "UTC", (Zone("z", "Z", (("Home",),)),))]
    )
    feed(catalog, [inventory("p1", 4, "s1"), order([("p1", 1)], store_id="s1")])
    data = json.loads(json.dumps(catalog.to_snapshot()))
    restored = Catalog.from_snapshot(data)
    assert restored.to_snapshot() == catalog.to_snapshot()
    assert restored.last_offset == 1
    assert [p.id for p in restored.search("kettle")] == ["p1"]


def test_from_snapshot_rejects_bad_input() -> None:
    with pytest.raises(InvalidCatalogData, match="version"):
        Catalog.from_snapshot({"version": 99})
    with pytest.raises(InvalidCatalogData, match="malformed"):
        Catalog.from_snapshot({"version": 1, "products": [{"id": "p1"}], "stores": []})


async def test_memory_store_round_trips() -> None:
    store = MemoryCatalogStore()
    await store.put_products([Product(ProductId("p1"), "Kettle")])
    await store.put_stores([Store(StoreId("s1"), "Main", 0, 0)])
    await store.set_stock([(StoreId("s1"), ProductId("p1"), 3)])
    assert (await store.get_product(ProductId("p1"))) is not None
    assert (await store.get_store(StoreId("s1"))) is not None
    assert await store.get_stock(ProductId("p1"), StoreId("s1")) == 3
    catalog = await store.load()
    catalog.apply(inventory("p1", 8), offset=5, now=NOW)
    await store.save(catalog)
    assert await store.get_stock(ProductId("p1"), None) == 8
    assert (await store.load()).last_offset == 5


# -- properties ---------------------------------------------------------------------------

_products = st.sampled_from(["p1", "p2"])
_locations = st.sampled_from([None, "s1"])
_set_events = st.tuples(st.just("set"), _products, _locations, st.integers(-5, 50))
_order_events = st.tuples(
    st.just("order"),
    st.lists(st.tuples(_products, st.integers(0, 9)), min_size=1, max_size=3),
    _locations,
)
_events = st.lists(st.one_of(_set_events, _order_events), max_size=30)


def _messages(events: list[Any]) -> list[Message]:
    messages: list[Message] = []
    for i, event in enumerate(events):
        if event[0] == "set":
            messages.append(inventory(event[1], event[3], event[2]))
        else:
            messages.append(order(event[1], store_id=event[2], order_id=f"o{i}"))
    return messages


@given(_events)
def test_stock_is_last_set_minus_later_orders(events: list[Any]) -> None:
    catalog = Catalog()
    feed(catalog, _messages(events))
    for product in ("p1", "p2"):
        for location in (None, "s1"):
            expected = 0
            for event in events:
                if event[0] == "set" and (event[1], event[2]) == (product, location):
                    expected = event[3]
                elif event[0] == "order" and event[2] == location:
                    expected -= sum(q for p, q in event[1] if p == product)
            assert (
                catalog.stock(ProductId(product), StoreId(location) if location else None)
                == expected
            )
            assert catalog.available(
                ProductId(product), StoreId(location) if location else None
            ) == max(0, expected)


@given(_events, st.data())
def test_replay_and_snapshot_resume_equal_one_clean_pass(
    events: list[Any], data: st.DataObject
) -> None:
    messages = _messages(events)
    clean = Catalog()
    feed(clean, messages)

    twice = Catalog()
    feed(twice, messages)
    feed(twice, messages)
    assert twice.to_snapshot() == clean.to_snapshot()

    cut = data.draw(st.integers(0, len(messages)))
    first = Catalog()
    feed(first, messages[:cut])
    resumed = Catalog.from_snapshot(first.to_snapshot())
    feed(resumed, messages)  # the log is replayed from before the snapshot: offsets skip
    assert resumed.to_snapshot() == clean.to_snapshot()
