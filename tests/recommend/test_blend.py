from __future__ import annotations

import math

import pytest

from shopstream.core import CustomerId, ProductId
from shopstream.recommend import (
    Behaviour,
    Blend,
    CoVisitation,
    Interaction,
    InvalidRecommenderParams,
    OwnHistory,
    Scored,
    Trending,
    fuse,
)


def touch(who: str, item: str, at: float, behaviour: Behaviour = Behaviour.VIEW) -> Interaction:
    return Interaction(CustomerId(who), ProductId(item), behaviour, at)


def scored(item: str, score: float, reason: str) -> Scored:
    return Scored(ProductId(item), score, reason)


def test_fuse_scales_each_answer_to_its_best_and_weighs_it() -> None:
    answers = {
        "covisit": [
            scored("a", 10.0, "viewed together with x"),
            scored("b", 5.0, "viewed together with y"),
        ],
        "trending": [scored("b", 100.0, "trending"), scored("c", 50.0, "trending")],
    }
    fused = fuse(answers, {"covisit": 1.0, "trending": 0.8}, k=3)
    assert [(s.product_id, s.reason) for s in fused] == [
        ("b", "trending"),  # 0.5 + 0.8: trending contributed most
        ("a", "viewed together with x"),
        ("c", "trending"),
    ]
    assert [s.score for s in fused] == pytest.approx([1.3, 1.0, 0.4])


def test_fuse_ignores_unweighted_and_empty_answers() -> None:
    answers = {
        "own": [scored("a", 1.0, "you bought this before")],
        "ease": [],
        "trending": [scored("b", 1.0, "trending")],
    }
    assert [s.product_id for s in fuse(answers, {"own": 1.0, "ease": 2.0}, k=5)] == ["a"]
    assert fuse(answers, {"own": 0.0}, k=5) == []


def test_blend_learns_with_its_generators_and_gives_each_item_a_reason() -> None:
    blend = Blend(
        generators={
            "own": OwnHistory(half_life=3600.0),
            "covisit": CoVisitation(half_life=math.inf),
            "trending": Trending(),
        },
        weights={"own": 2.0, "covisit": 1.0, "trending": 0.1},
    )
    blend.fit(
        [touch("a", "tent", 0), touch("a", "stove", 1), touch("b", "map", 2), touch("c", "map", 3)]
    )
    blend.partial_fit(touch("d", "tent", 4))
    blend.partial_fit(touch("d", "lamp", 5))
    history = [touch("e", "tent", 10, Behaviour.ORDER)]
    answer = blend.recommend(history, k=4)
    assert [(s.product_id, s.reason) for s in answer] == [
        ("tent", "you bought this before"),
        ("lamp", "bought together with tent"),
        ("stove", "bought together with tent"),
        ("map", "trending"),
    ]
    excluded = blend.recommend(history, k=4, exclude={ProductId("tent"), ProductId("map")})
    assert ProductId("tent") not in {s.product_id for s in excluded}
    assert set(blend.answers(history)) == {"own", "covisit", "trending"}


def test_blend_weights_must_name_its_generators_and_be_non_negative() -> None:
    with pytest.raises(InvalidRecommenderParams, match="does not have"):
        Blend(generators={"own": OwnHistory()}, weights={"ease": 1.0})
    with pytest.raises(InvalidRecommenderParams):
        Blend(generators={"own": OwnHistory()}, weights={"own": -1.0})
