from __future__ import annotations

import numpy as np
import pytest

from shopstream.core import CustomerId, ProductId
from shopstream.recommend import Behaviour, Interaction, NotFitted
from shopstream.recommend.ease import EASE


def order(who: str, item: str, at: float = 0.0) -> Interaction:
    return Interaction(CustomerId(who), ProductId(item), Behaviour.ORDER, at)


BASKETS = {"a": "xy", "b": "xy", "c": "xz", "d": "yz", "e": "x"}


def fitted(**params: float) -> EASE:
    model = EASE(**params)  # type: ignore[arg-type]
    model.fit(order(who, item) for who, items in BASKETS.items() for item in items)
    return model


def test_weights_are_the_closed_form() -> None:
    model = fitted(l2=1.0)
    # items by popularity: x (4), y (3), z (2); X^T X by hand
    gram = np.array([[4.0, 2.0, 1.0], [2.0, 3.0, 1.0], [1.0, 1.0, 2.0]]) + np.eye(3)
    p = np.linalg.inv(gram)
    expected = np.eye(3) - p / np.diag(p)
    answer = model.recommend([order("new", "z")], k=3)
    scores = {s.product_id: s.score for s in answer}
    order_weight = 4.0  # the history vector holds the order's weight
    assert scores == pytest.approx(
        {item: order_weight * expected[2, i] for i, item in enumerate("xy")}
    )
    assert all(s.reason == "popular with shoppers like you" for s in answer)


def test_history_folds_in_at_request_time_and_exclusions_hold() -> None:
    model = fitted(l2=0.5)
    assert model.recommend([order("new", "y")], k=1)[0].product_id == "x"
    answer = model.recommend([order("new", "y")], k=3, exclude={ProductId("x")})
    assert ProductId("x") not in {s.product_id for s in answer}


def test_items_outside_the_vocabulary_do_not_change_scores() -> None:
    model = fitted(l2=0.5)
    short = model.recommend([order("n", "y")], k=3)
    long = model.recommend([order("n", "y"), order("n", "w")], k=3)  # w is unknown
    assert [(s.product_id, s.score) for s in long] == [
        (s.product_id, pytest.approx(s.score)) for s in short
    ]


def test_vocabulary_is_capped_to_the_most_popular() -> None:
    model = fitted(l2=0.5, max_items=2)
    assert model.recommend([order("n", "z")], k=3) == []  # z is outside the vocabulary
    assert [s.product_id for s in model.recommend([order("n", "y")], k=3)] == ["x"]


def test_unknown_history_is_empty_and_unfitted_raises() -> None:
    assert fitted().recommend([order("n", "nothing")], k=3) == []
    with pytest.raises(NotFitted):
        EASE().recommend([order("n", "x")], k=3)
