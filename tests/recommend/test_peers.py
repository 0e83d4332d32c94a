from __future__ import annotations

import pytest

from shopstream.core import CustomerId, ProductId
from shopstream.recommend import Behaviour, Interaction
from shopstream.recommend.evaluation.factorization import (
    ImplicitALS,
    ImplicitBPR,
    ImplicitItemKNN,
)
from shopstream.recommend.evaluation.popular import MostPopular, RecentItems, RepeatBuy
from shopstream.recommend.evaluation.sessionknn import SessionKNN

DAY = 86_400.0


def touch(who: str, item: str, at: float, basket: str | None = None) -> Interaction:
    return Interaction(CustomerId(who), ProductId(item), Behaviour.ORDER, at, order_id=basket)


TRAIN = [
    touch("1", "a", 0.0),
    touch("2", "a", 1.0),
    touch("2", "a", 2.0),
    touch("3", "b", 10 * DAY),
    touch("4", "b", 10 * DAY),
    touch("5", "c", 10 * DAY),
]


def ranked(method: object, history: list[Interaction], k: int = 3) -> list[str]:
    answer = method.recommend(history, k)  # type: ignore[attr-defined]
    return [s.product_id for s in answer]


def test_most_popular_counts_interactions_or_shoppers_and_can_look_back_a_window() -> None:
    by_rows = MostPopular()
    by_rows.fit(TRAIN)
    assert ranked(by_rows, []) == ["a", "b", "c"]
    by_shoppers = MostPopular(count="shoppers")
    by_shoppers.fit(TRAIN)
    assert ranked(by_shoppers, []) == ["a", "b", "c"]  # a: 2 shoppers, b: 2, ties by id
    recent = MostPopular(window_days=5.0)
    recent.fit(TRAIN)
    assert ranked(recent, []) == ["b", "c", "a"]  # a is still a candidate, last
    assert [s.product_id for s in recent.recommend([], 3, exclude={ProductId("b")})] == ["c", "a"]


def test_repeat_buy_ranks_the_customers_purchases_then_pads_with_popular() -> None:
    history = [touch("9", "x", 0, "i1"), touch("9", "y", 5, "i2"), touch("9", "x", 9, "i3")]
    frequency = RepeatBuy()
    frequency.fit(TRAIN)
    assert ranked(frequency, history, 4) == ["x", "y", "a", "b"]
    recency = RepeatBuy(order_by="recency")
    recency.fit(TRAIN)
    assert ranked(
        recency, [touch("9", "y", 5, "i2"), touch("9", "x", 9, "i3"), touch("9", "y", 1, "i0")], 2
    ) == ["x", "y"]


def test_recent_items_are_newest_first() -> None:
    method = RecentItems()
    method.fit(TRAIN)
    history = [touch("9", "x", 0), touch("9", "y", 5), touch("9", "x", 9)]
    assert ranked(method, history, 4) == ["x", "y", "a", "b"]


def test_session_knn_scores_items_of_similar_sessions_learning_from_the_stream() -> None:
    method = SessionKNN(neighbours=10, sample=10, session_gap=60.0)
    method.fit([touch("1", "a", 0), touch("1", "b", 1), touch("2", "a", 0), touch("2", "c", 1)])
    method.partial_fit(touch("3", "a", 5))
    method.partial_fit(touch("3", "b", 6))
    history = [touch("4", "a", 10)]
    assert ranked(method, history, 2) == ["a", "b"]  # a and b in two sessions, c in one
    own = [touch("3", "a", 5), touch("3", "b", 6)]
    assert "c" in ranked(method, own, 3)  # the shopper's own session does not vote


@pytest.mark.parametrize(
    "method",
    [
        ImplicitALS(factors=4, iterations=5, regularization=0.1),
        ImplicitBPR(factors=4, iterations=20),
        ImplicitItemKNN(similarity="cosine", neighbours=5),
        ImplicitItemKNN(similarity="bm25", neighbours=5),
    ],
    ids=["als", "bpr", "itemknn-cosine", "itemknn-bm25"],
)
def test_implicit_peers_answer_known_and_new_shoppers(method: object) -> None:
    baskets = {str(c): ("a", "b") if c % 2 else ("c", "d") for c in range(40)}
    train = [
        touch(c, item, float(t)) for t, (c, items) in enumerate(baskets.items()) for item in items
    ]
    method.fit(train)  # type: ignore[attr-defined]
    known = [i for i in train if i.customer_id == "1"]
    new = [touch("new", "a", 1e9)]
    for history in (known, new, []):
        answer = ranked(method, history, 4)
        assert len(answer) == len(set(answer)) == 4
    assert ranked(method, new, 4)[:2] in (["a", "b"], ["b", "a"])
    excluded = method.recommend(new, 4, exclude={ProductId("b")})  # type: ignore[attr-defined]
    assert ProductId("b") not in {s.product_id for s in excluded}


def test_a_diverged_factor_model_raises_fit_failed() -> None:
    from implicit.recommender_base import ModelFitError

    from shopstream.recommend import FitFailed
    from shopstream.recommend.evaluation.factorization import _fit_or_fail

    class Diverging:
        def fit(self, matrix: object, show_progress: bool) -> None:
            raise ModelFitError("NaN encountered in factors")

    with pytest.raises(FitFailed, match="diverged"):
        _fit_or_fail(Diverging(), None, "BPR")  # type: ignore[arg-type]
