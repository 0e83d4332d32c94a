"""The pure core of the scale-out state: what one event adds."""

from __future__ import annotations

from datetime import UTC, datetime

from shopstream.core import Offset
from shopstream.events import Identifier, IdType, parse_message
from shopstream.identity import canonical_id
from shopstream.scaleout import online_update

AT = datetime(2026, 3, 1, tzinfo=UTC)


def test_an_order_counts_revenue_in_cents_and_a_purchase_per_line() -> None:
    m = parse_message(
        {"type": "track", "event": "Order Completed", "userId": "u1", "anonymousId": "a1",
         "properties": {"order_id": "o1", "total": 19.99,
                        "products": [{"product_id": "p1", "quantity": 2}, {"product_id": "p2"}]}},
        source="web", received_at=AT,
    )  # fmt: skip
    u = online_update(Offset(7), m)
    assert (u.orders, u.revenue_cents) == (1, 1999)
    assert u.counters == {"purchases": ("p1", "p2")}
    assert u.cart == {}
    # The first identifier leads (it chose the partition); each comes with its own customer id.
    assert u.identifiers[0][1] == canonical_id(m.identities[0])
    assert {c for _, c in u.identifiers} == {canonical_id(i) for i in m.identities}


def test_adds_and_removes_are_cart_deltas_and_views_feed_covisitation() -> None:
    add = parse_message({"type": "track", "event": "Product Added", "anonymousId": "a",
                         "properties": {"product_id": "p1", "quantity": 3}},
                        source="web", received_at=AT)  # fmt: skip
    remove = parse_message({"type": "track", "event": "Product Removed", "anonymousId": "a",
                            "properties": {"product_id": "p1"}}, source="web", received_at=AT)  # fmt: skip
    view = parse_message({"type": "track", "event": "Product Viewed", "anonymousId": "a",
                          "properties": {"product_id": 42}}, source="web", received_at=AT)  # fmt: skip
    assert online_update(Offset(1), add).cart == {"p1": 3}
    assert online_update(Offset(2), remove).cart == {"p1": -1}
    assert online_update(Offset(3), view).views == ("42",)


def test_events_about_things_touch_no_shopper_but_traits_are_kept_as_json() -> None:
    stock = parse_message({"type": "track", "event": "Inventory Updated", "anonymousId": "x",
                           "properties": {"product_id": "p1", "quantity": 3, "store_id": "s1"}},
                          source="pos", received_at=AT)  # fmt: skip
    assert not online_update(Offset(1), stock).about_shopper
    who = parse_message({"type": "identify", "userId": "u9", "traits": {"tier": "gold", "n": 2}},
                        source="web", received_at=AT)  # fmt: skip
    u = online_update(Offset(2), who)
    assert u.traits == {"tier": '"gold"', "n": "2"}
    assert u.identifiers == (("0u9", canonical_id(Identifier(IdType.USER_ID, "u9"))),)


def test_public_names_are_exported_and_none_is_private() -> None:
    import shopstream.scaleout

    names = shopstream.scaleout.__all__
    assert isinstance(names, tuple)
    assert all(not name.startswith("_") and getattr(shopstream.scaleout, name) for name in names)
    public = {n for n in dir(shopstream.scaleout) if not n.startswith("_")}
    assert public - {"errors", "rebuild", "store", "updates", "worker", "annotations"} == set(names)
