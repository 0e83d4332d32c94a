from __future__ import annotations

import math
import random
from collections import defaultdict

import pytest

from shopstream.core import CustomerId, ProductId
from shopstream.recommend import (
    Behaviour,
    BehaviourWeights,
    CoVisitation,
    Interaction,
    InvalidRecommenderParams,
)


def touch(who: str, item: str, at: float, behaviour: Behaviour = Behaviour.VIEW) -> Interaction:
    return Interaction(CustomerId(who), ProductId(item), behaviour, at)


def random_stream(seed: int, n: int = 400) -> list[Interaction]:
    rng = random.Random(seed)
    at, stream = 0.0, []
    for _ in range(n):
        at += rng.choice([1.0, 5.0, 60.0, 3000.0])
        behaviour = rng.choice(list(Behaviour))
        stream.append(touch(f"c{rng.randrange(6)}", f"p{rng.randrange(15)}", at, behaviour))
    return stream


def reference(
    stream: list[Interaction], weights: BehaviourWeights, gap: float, half_life: float, now: float
) -> dict[tuple[str, str], float]:
    """Co-visits from the definition: per session and pair, the product of the strongest
    weights, each increment decayed from the moment it was made."""
    sessions: dict[str, list[Interaction]] = defaultdict(list)
    last: dict[str, float] = {}
    numbered: list[tuple[str, int, Interaction]] = []
    count: dict[str, int] = defaultdict(int)
    for i in stream:
        if i.customer_id in last and i.at - last[i.customer_id] > gap:
            count[i.customer_id] += 1
        last[i.customer_id] = i.at
        numbered.append((i.customer_id, count[i.customer_id], i))
    for customer, number, i in numbered:
        sessions[f"{customer}#{number}"].append(i)
    pairs: dict[tuple[str, str], float] = defaultdict(float)
    for events in sessions.values():
        strongest: dict[str, float] = {}
        for i in events:  # replay the session, crediting each rise of a product's weight
            weight = weights.of(i.behaviour)
            before = strongest.get(i.product_id, 0.0)
            if weight > before:
                for other, other_weight in strongest.items():
                    if other != i.product_id:
                        gain = (
                            (weight - before) * other_weight * math.exp2(-(now - i.at) / half_life)
                        )
                        pairs[i.product_id, other] += gain
                        pairs[other, i.product_id] += gain
                strongest[i.product_id] = weight
    return dict(pairs)


def learnt(model: CoVisitation, items: set[str], now: float) -> dict[tuple[str, str], float]:
    return {(a, b): value for a in items for b, value in model.neighbours(ProductId(a), now)}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_incremental_updates_equal_the_definition_and_a_batch_fit(seed: int) -> None:
    stream = random_stream(seed)
    params = dict(session_gap=600.0, half_life=1800.0, max_neighbours=100, window=100)
    online = CoVisitation(**params)
    for interaction in stream:
        online.partial_fit(interaction)
    batch = CoVisitation(**params)
    batch.fit(reversed(stream))  # fit sorts by time
    now = stream[-1].at
    items = {i.product_id for i in stream}
    expected = reference(stream, BehaviourWeights(), 600.0, 1800.0, now)
    assert learnt(online, items, now) == pytest.approx(expected)
    assert learnt(batch, items, now) == pytest.approx(expected)


def test_fit_forgets_what_was_learnt_before() -> None:
    model = CoVisitation()
    model.fit([touch("a", "x", 0), touch("a", "y", 1)])
    model.fit([touch("a", "z", 0), touch("a", "w", 1)])
    assert model.neighbours(ProductId("x"), 1.0) == []
    assert [p for p, _ in model.neighbours(ProductId("z"), 1.0)] == ["w"]


def test_evidence_halves_every_half_life() -> None:
    model = CoVisitation(half_life=100.0)
    for interaction in [touch("a", "x", 0), touch("a", "y", 10)]:
        model.partial_fit(interaction)
    assert model.neighbours(ProductId("x"), 10.0) == [("y", pytest.approx(1.0))]
    assert model.neighbours(ProductId("x"), 110.0) == [("y", pytest.approx(0.5))]
    model.partial_fit(touch("b", "x", 110))
    model.partial_fit(touch("b", "y", 110))
    assert model.neighbours(ProductId("x"), 110.0) == [("y", pytest.approx(1.5))]


def test_decay_survives_landmark_moves_far_in_time() -> None:
    model = CoVisitation(half_life=1.0)
    model.partial_fit(touch("a", "x", 0))
    model.partial_fit(touch("a", "y", 0.5))
    model.partial_fit(touch("b", "x", 10_000))
    model.partial_fit(touch("b", "z", 10_000))
    assert model.neighbours(ProductId("x"), 10_000.0) == [
        ("z", pytest.approx(1.0)),
        ("y", pytest.approx(0.0)),
    ]


def test_a_session_ends_after_the_gap() -> None:
    model = CoVisitation(session_gap=60.0)
    for interaction in [touch("a", "x", 0), touch("a", "y", 61)]:
        model.partial_fit(interaction)
    assert model.neighbours(ProductId("x"), 61.0) == []


def test_behaviours_weigh_pairs_once_per_session() -> None:
    model = CoVisitation(half_life=math.inf)
    stream = [
        touch("a", "x", 0),
        touch("a", "y", 1),
        touch("a", "x", 2),  # a second view adds nothing
        touch("a", "x", 3, Behaviour.CART),  # 3 x 1
        touch("a", "y", 4, Behaviour.ORDER),  # 3 x 4 in all
    ]
    for interaction in stream:
        model.partial_fit(interaction)
    assert model.neighbours(ProductId("x"), 4.0) == [("y", 12.0)]


def test_memory_is_bounded_by_pruning() -> None:
    model = CoVisitation(max_neighbours=3, window=50, half_life=math.inf)
    for i in range(20):
        model.partial_fit(touch("a", f"p{i}", float(i)))
    for item in (f"p{i}" for i in range(20)):
        assert len(model.neighbours(ProductId(item), 20.0)) <= 6


def test_the_window_bounds_the_products_a_session_pairs() -> None:
    model = CoVisitation(window=2)
    for i, item in enumerate("abc"):
        model.partial_fit(touch("s", item, float(i)))
    model.partial_fit(touch("s", "d", 3.0))
    assert {p for p, _ in model.neighbours(ProductId("d"), 3.0)} == {"b", "c"}


def test_recommend_expands_recent_items_with_reasons() -> None:
    model = CoVisitation(half_life=math.inf)
    model.fit(
        [
            touch("a", "shoe", 0),
            touch("a", "sock", 1),
            touch("b", "shoe", 0),
            touch("b", "sock", 1),
            touch("c", "shoe", 0),
            touch("c", "lace", 1, Behaviour.CART),
        ]
    )
    history = [touch("d", "shoe", 10, Behaviour.ORDER)]
    answer = model.recommend(history, k=5)
    assert [s.product_id for s in answer] == ["lace", "sock"]
    assert answer[0].score == pytest.approx(4 * 3 / 5)
    assert {s.reason for s in answer} == {"bought together with shoe"}
    assert model.recommend(history, k=5, exclude={ProductId("lace")})[0].product_id == "sock"
    viewed = model.recommend([touch("d", "sock", 10)], k=1)
    assert viewed[0].reason == "viewed together with sock"


def test_unknown_history_gives_nothing() -> None:
    assert CoVisitation().recommend([touch("a", "x", 0)], k=3) == []
    assert CoVisitation().recommend([], k=3) == []


@pytest.mark.parametrize(
    "params", [{"half_life": 0.0}, {"session_gap": -1.0}, {"max_neighbours": 0}, {"depth": 0}]
)
def test_hyper_parameters_are_validated(params: dict[str, float]) -> None:
    with pytest.raises(InvalidRecommenderParams):
        CoVisitation(**params)  # type: ignore[arg-type]
