from __future__ import annotations

import math
import pickle
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopstream.core import CustomerId, ProductId
from shopstream.recommend import Behaviour, CategoryTrending, Interaction, Trending
from shopstream.recommend.trending import _Leaderboard


def touch(
    item: str, at: float, behaviour: Behaviour = Behaviour.VIEW, category: str | None = None
) -> Interaction:
    return Interaction(CustomerId("c"), ProductId(item), behaviour, at, category=category)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_the_incremental_leaderboard_is_the_exact_top(seed: int) -> None:
    rng = random.Random(seed)
    model = Trending(half_life=50.0, size=5)
    stream = [
        touch(f"p{rng.randrange(30)}", float(t), rng.choice(list(Behaviour))) for t in range(500)
    ]
    for interaction in stream:
        model.partial_fit(interaction)
    now = stream[-1].at
    brute = {
        item: sum(
            model.weights.of(i.behaviour) * math.exp2(-(now - i.at) / 50.0)
            for i in stream
            if i.product_id == item
        )
        for item in {i.product_id for i in stream}
    }
    best = sorted(brute, key=lambda p: (-brute[p], p))[:5]
    assert [s.product_id for s in model.recommend([], k=5)] == best
    for item in best:
        assert model.score(item, now) == pytest.approx(brute[item])


def test_recent_interest_beats_old_volume() -> None:
    model = Trending(half_life=60.0)
    model.fit([touch("old", 0.0)] * 3 + [touch("new", 180.0)] * 2)
    assert [s.product_id for s in model.recommend([], k=2)] == ["new", "old"]
    assert model.score(ProductId("old"), 180.0) == pytest.approx(3 / 8)


def test_behaviours_count_by_weight_and_excluded_items_are_skipped() -> None:
    model = Trending()
    model.fit([touch("viewed", 0.0), touch("viewed", 0.0), touch("bought", 0.0, Behaviour.ORDER)])
    answer = model.recommend([], k=3)
    assert [(s.product_id, s.reason) for s in answer] == [
        ("bought", "trending"),
        ("viewed", "trending"),
    ]
    assert [s.product_id for s in model.recommend([], k=3, exclude={ProductId("bought")})] == [
        "viewed"
    ]


def test_category_trending_follows_the_shoppers_categories() -> None:
    model = CategoryTrending(half_life=3600.0, history_half_life=60.0)
    model.fit(
        [
            touch("kettle", 0, category="kitchen"),
            touch("kettle", 1, category="kitchen"),
            touch("toaster", 2, category="kitchen"),
            touch("rake", 3, category="garden"),
            touch("hose", 4),  # no category: not counted
        ]
    )
    history = [touch("toaster", 10)]  # the category is known from the stream
    answer = model.recommend(history, k=3)
    assert [s.product_id for s in answer] == ["kettle", "toaster"]
    assert answer[0].reason == "trending in category kitchen"
    assert answer[0].score == pytest.approx(1.0)
    assert model.recommend([touch("hose", 10)], k=3) == []


def test_category_trending_weighs_recent_categories_more() -> None:
    model = CategoryTrending(history_half_life=60.0)
    model.fit([touch("kettle", 0, category="kitchen"), touch("rake", 0, category="garden")])
    history = [touch("x", 0, category="kitchen"), touch("y", 120, category="garden")]
    assert [s.product_id for s in model.recommend(history, k=2)] == ["rake", "kettle"]


class _ScanBoard:
    """The leaderboard as a scan of every leader: the oracle of the heap's floor."""

    def __init__(self, size: int) -> None:
        self.size, self.leaders, self.floor = size, {}, None

    def offer(self, item: str, score: float) -> None:
        leaders = self.leaders
        if item in leaders:
            leaders[item] = score
            if item == self.floor:
                self.floor = min(leaders, key=leaders.__getitem__)
        elif len(leaders) < self.size:
            leaders[item] = score
            if self.floor is None or score < leaders[self.floor]:
                self.floor = item
        elif self.floor is not None and score > leaders[self.floor]:
            del leaders[self.floor]
            leaders[item] = score
            self.floor = min(leaders, key=leaders.__getitem__)


@settings(max_examples=200, deadline=None)
@given(
    size=st.integers(1, 6),
    steps=st.lists(
        st.one_of(
            st.tuples(st.integers(0, 12), st.integers(1, 4)),  # a product gains 1-4 (ties)
            st.just("scale"),
            st.just("pickle"),
        ),
        max_size=120,
    ),
)
def test_the_heap_floor_is_the_scanned_floor(size: int, steps: list[object]) -> None:
    board, oracle = _Leaderboard(size), _ScanBoard(size)
    scores: dict[str, float] = {}
    for step in steps:
        if step == "scale":
            board.scale(0.5)
            for item in oracle.leaders:
                oracle.leaders[item] *= 0.5
            scores = {item: score * 0.5 for item, score in scores.items()}
        elif step == "pickle":
            board = pickle.loads(pickle.dumps(board))
        else:
            assert isinstance(step, tuple)
            item = f"p{step[0]}"
            scores[item] = scores.get(item, 0.0) + step[1]
            board.offer(ProductId(item), scores[item])
            oracle.offer(item, scores[item])
        assert board.floor == oracle.floor
        assert list(board.leaders.items()) == list(oracle.leaders.items())
