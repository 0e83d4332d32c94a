from __future__ import annotations

import pytest

from shopstream.core import CustomerId, ProductId
from shopstream.recommend import Behaviour, BehaviourWeights, Interaction, OwnHistory, weigh_history


def touch(item: str, at: float, behaviour: Behaviour = Behaviour.VIEW) -> Interaction:
    return Interaction(CustomerId("c"), ProductId(item), behaviour, at, category=f"cat-{item}")


def test_weigh_history_decays_from_the_newest_event_and_sums() -> None:
    history = [touch("a", 0, Behaviour.CART), touch("b", 60), touch("a", 120)]
    weighed = weigh_history(history, BehaviourWeights(), half_life=60.0)
    assert list(weighed) == ["a", "b"]  # most recently touched first
    assert weighed["a"].weight == pytest.approx(1 + 3 / 4)
    assert weighed["a"].strongest is Behaviour.CART
    assert weighed["b"].weight == pytest.approx(0.5)


def test_weigh_history_keeps_the_most_recent_keys_only() -> None:
    history = [touch("a", 0), touch("b", 1), touch("c", 2), touch("b", 3)]
    assert list(weigh_history(history, BehaviourWeights(), 60.0, depth=2)) == ["b", "c"]
    by_category = weigh_history(history, BehaviourWeights(), 60.0, key=lambda i: i.category)
    assert list(by_category) == ["cat-b", "cat-c", "cat-a"]


def test_zero_weight_behaviours_are_left_out() -> None:
    weights = BehaviourWeights(view=0.0)
    assert weigh_history([touch("a", 0)], weights, 60.0) == {}


def test_own_history_ranks_buying_again_and_says_why() -> None:
    history = [
        touch("mug", 0, Behaviour.ORDER),
        touch("mug", 10, Behaviour.ORDER),
        touch("tea", 20, Behaviour.ORDER),
        touch("lid", 30, Behaviour.CART),
        touch("pot", 40, Behaviour.WISHLIST),
    ]
    answer = OwnHistory(half_life=1e9).recommend(history, k=3, exclude={ProductId("tea")})
    assert [(s.product_id, s.reason) for s in answer] == [
        ("mug", "you bought this before"),
        ("lid", "in your cart"),
        ("pot", "on your wish list"),
    ]
    assert OwnHistory().recommend([], k=3) == []
