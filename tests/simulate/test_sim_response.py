"""Shoppers answer offers by their hidden taste: the hook bandit tests pull."""

from __future__ import annotations

import pytest

from shopstream.core import ProductId
from shopstream.simulate import (
    Offer,
    Responder,
    Shopper,
    generate_catalogue,
    generate_shoppers,
)

CATALOGUE = generate_catalogue(21, products=400, stores=3)
SHOPPERS = generate_shoppers(CATALOGUE, 40, seed=21)


def _best_and_worst(responder: Responder, shopper: Shopper) -> tuple[ProductId, ProductId]:
    ranked = sorted(CATALOGUE.products, key=lambda p: responder.probability(shopper, [p.id]))
    return ranked[-1].id, ranked[0].id


def test_liked_products_are_taken_up_far_more_often_than_disliked_ones() -> None:
    responder = Responder(CATALOGUE, seed=1)
    for shopper in SHOPPERS:
        best, worst = _best_and_worst(responder, shopper)
        assert responder.probability(shopper, [best]) > 10 * responder.probability(shopper, [worst])


def test_the_favourite_category_wins_on_average() -> None:
    responder = Responder(CATALOGUE, seed=2)
    wins = 0
    for shopper in SHOPPERS:
        shares = shopper.taste.categories
        favourite = max(shares, key=lambda c: shares[c])
        least = min(shares, key=lambda c: shares[c])
        liked = [responder.probability(shopper, [p.id]) for p in CATALOGUE.in_category(favourite)]
        other = [responder.probability(shopper, [p.id]) for p in CATALOGUE.in_category(least)]
        wins += sum(liked) / len(liked) > sum(other) / len(other)
    assert wins == len(SHOPPERS)


def test_a_discount_and_more_items_raise_the_chance_and_rank_lowers_it() -> None:
    responder = Responder(CATALOGUE, seed=3)
    shopper = SHOPPERS[0]
    best, worst = _best_and_worst(responder, shopper)
    plain = responder.probability(shopper, Offer((best,)))
    assert responder.probability(shopper, Offer((best,), discount=0.3)) > plain
    assert responder.probability(shopper, [best, worst]) > plain
    first = responder.probability(shopper, [best, worst])
    assert responder.probability(shopper, [worst, best]) < first


def test_respond_draws_at_the_probability_and_is_seeded() -> None:
    shopper = SHOPPERS[1]
    offer = Offer((_best_and_worst(Responder(CATALOGUE), shopper)[0],), discount=0.1)
    answers = [Responder(CATALOGUE, seed=7).respond(shopper, offer) for _ in range(3)]
    assert len(set(answers)) == 1
    responder = Responder(CATALOGUE, seed=8)
    n = 4000
    rate = sum(responder.respond(shopper, offer) for _ in range(n)) / n
    p = responder.probability(shopper, offer)
    assert abs(rate - p) < 4 * (p * (1 - p) / n) ** 0.5 + 1e-9


def test_bad_offers_and_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="discount must be in"):
        Offer((ProductId("p00001"),), discount=-0.1)
    with pytest.raises(ValueError, match="position_decay"):
        Responder(CATALOGUE, position_decay=-1.0)
    with pytest.raises(KeyError):
        Responder(CATALOGUE).probability(SHOPPERS[0], [ProductId("nope")])
