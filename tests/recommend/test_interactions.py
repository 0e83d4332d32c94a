from __future__ import annotations

import pytest

from shopstream.core import CustomerId
from shopstream.recommend import (
    Behaviour,
    BehaviourWeights,
    InvalidRecommenderParams,
    interactions_from_event,
)

WHO = CustomerId("c1")


def test_product_events_become_interactions() -> None:
    viewed = interactions_from_event(
        "Product Viewed", {"product_id": "p1", "category": "Home"}, 5.0, WHO
    )
    assert [(i.customer_id, i.product_id, i.behaviour, i.at, i.category) for i in viewed] == [
        (WHO, "p1", Behaviour.VIEW, 5.0, "Home")
    ]
    added = interactions_from_event("Product Added", {"product_id": 7}, 5.0, WHO)
    assert [(i.product_id, i.behaviour) for i in added] == [("7", Behaviour.CART)]
    wished = interactions_from_event("Product Added to Wishlist", {"product_id": "p1"}, 5.0, WHO)
    assert wished[0].behaviour is Behaviour.WISHLIST


def test_an_order_gives_one_interaction_per_product_line() -> None:
    properties = {
        "order_id": "o1",
        "products": [{"product_id": "p1"}, {"product_id": "p2"}, {"sku": "x"}, "junk"],
    }
    lines = interactions_from_event("Order Completed", properties, 5.0, WHO)
    assert [(i.product_id, i.behaviour, i.order_id) for i in lines] == [
        ("p1", Behaviour.ORDER, "o1"),
        ("p2", Behaviour.ORDER, "o1"),
    ]


def test_other_events_and_lines_without_a_product_give_nothing() -> None:
    assert interactions_from_event("Products Searched", {"query": "kettle"}, 5.0, WHO) == []
    assert interactions_from_event("Product Viewed", {"sku": "p1"}, 5.0, WHO) == []
    assert interactions_from_event("Order Completed", {"order_id": "o2"}, 5.0, WHO) == []


def test_behaviour_weights_are_validated() -> None:
    assert BehaviourWeights().of(Behaviour.ORDER) == 4.0
    with pytest.raises(InvalidRecommenderParams, match="view must be >= 0"):
        BehaviourWeights(view=-1.0)
