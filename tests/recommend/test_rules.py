"""Every filter and rule of an answer, through ``recommend()``: stock at the current or home
store or online, already purchased (per category), in cart (per placement), boost and bury,
diversity. Candidates come from a fixed generator, so each test sees exactly what the rule
removes, keeps or moves."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import pytest

from shopstream.catalog import ONLINE, Catalog, Product, Store
from shopstream.core import CustomerId, ProductId, StoreId
from shopstream.profiles import Order, OrderLine, Profile, StoreVisits
from shopstream.recommend import (
    Blend,
    BoostRule,
    Interaction,
    InvalidRecommenderParams,
    Placement,
    RecommendRequest,
    RecommendRules,
    Scored,
    recommend,
)

CUSTOMER = CustomerId("c1")
HOME, OTHER = StoreId("s12"), StoreId("s40")

PRODUCTS = {
    # id: (name, category, brand)
    "kettle": ("Red Kettle", ("Home", "Kitchen"), "Brew"),
    "mug": ("Blue Mug", ("Home", "Kitchen"), "Clay"),
    "teapot": ("Glass Teapot", ("Home", "Kitchen"), "Brew"),
    "toaster": ("Steel Toaster", ("Home", "Kitchen"), "Heat"),
    "tent": ("Dome Tent", ("Outdoor", "Camping"), "Peak"),
    "stove": ("Camp Stove", ("Outdoor", "Camping"), "Peak"),
    "coffee": ("Espresso Beans", ("Grocery", "Coffee"), "Casa"),
}
RANKED = ["kettle", "mug", "teapot", "toaster", "tent", "stove", "coffee"]


class Fixed:
    """A generator that always answers the same ranking (best first)."""

    def __init__(self, ranked: Sequence[str]) -> None:
        self.ranked = ranked

    def recommend(
        self,
        history: Sequence[Interaction],
        k: int = 10,
        *,
        exclude: Collection[ProductId] = frozenset(),
    ) -> list[Scored]:
        scored = [Scored(ProductId(p), float(len(self.ranked) - i), "fixed")
                  for i, p in enumerate(self.ranked) if p not in exclude]  # fmt: skip
        return scored[:k]


def catalog(stock: dict[str, dict[str, int]] | None = None) -> Catalog:
    """The products, two stores, and stock: by default everything online."""
    found = Catalog()
    found.upsert_products(
        Product(ProductId(p), name, category, brand=brand)
        for p, (name, category, brand) in PRODUCTS.items()
    )
    found.upsert_stores([Store(HOME, "Downtown", 38.7, -9.1), Store(OTHER, "Harbour", 38.6, -9.2)])
    levels = stock if stock is not None else {p: {ONLINE: 5} for p in PRODUCTS}
    found.set_stock(
        (StoreId(where), ProductId(p), qty) for p, at in levels.items() for where, qty in at.items()
    )
    return found


def ask(
    shop: Catalog,
    *,
    profile: Profile | None = None,
    rules: RecommendRules | None = None,
    placement: Placement = Placement.HOME,
    store: StoreId | None = None,
    ranked: Sequence[str] = RANKED,
    limit: int = 7,
) -> list[str]:
    items = recommend(
        RecommendRequest(placement, limit=limit, store_id=store),
        CUSTOMER,
        profile,
        blend=Blend(generators={"fixed": Fixed(ranked)}, weights={"fixed": 1.0}),
        catalog=shop,
        rules=rules or RecommendRules(max_per_category=10),
        now=1000.0,
    )
    return [i.product_id for i in items]


def profile(**fields: object) -> Profile:
    found = Profile(CUSTOMER)
    for name, value in fields.items():
        setattr(found, name, value)
    return found


# -- stock ---------------------------------------------------------------------------------


def test_out_of_stock_everywhere_is_left_out() -> None:
    stock = {p: {ONLINE: 5} for p in PRODUCTS} | {"mug": {ONLINE: 0, HOME: 0}}
    assert "mug" not in ask(catalog(stock))
    assert "mug" in ask(catalog(stock), rules=RecommendRules(require_stock=False))


def test_stock_at_the_current_store_counts_and_at_another_store_does_not() -> None:
    stock = {p: {ONLINE: 5} for p in PRODUCTS} | {"mug": {HOME: 2}, "teapot": {OTHER: 2}}
    shopper = profile(store_id=HOME)
    got = ask(catalog(stock), profile=shopper)
    assert "mug" in got
    assert "teapot" not in got


def test_the_home_store_is_where_the_shopper_goes_most_when_not_in_a_store() -> None:
    stock = {p: {ONLINE: 5} for p in PRODUCTS} | {"mug": {HOME: 2}, "teapot": {OTHER: 2}}
    regular = profile(visits={HOME: StoreVisits(9, 500.0), OTHER: StoreVisits(1, 900.0)})
    got = ask(catalog(stock), profile=regular)
    assert "mug" in got
    assert "teapot" not in got
    # The request's store wins over the home store.
    got = ask(catalog(stock), profile=regular, store=OTHER)
    assert "teapot" in got
    assert "mug" not in got


def test_at_the_associate_placement_only_that_store_stock_counts() -> None:
    stock = {p: {HOME: 1} for p in PRODUCTS} | {"mug": {ONLINE: 9}}
    assert "mug" in ask(catalog(stock), store=HOME)
    assert "mug" not in ask(catalog(stock), store=HOME, placement=Placement.ASSOCIATE)
    assert "kettle" in ask(catalog(stock), store=HOME, placement=Placement.ASSOCIATE)


def test_a_catalogue_without_inventory_is_not_filtered_by_stock() -> None:
    assert ask(catalog({})) == RANKED


# -- already purchased -----------------------------------------------------------------------


def _bought(*products: str) -> Profile:
    lines = tuple(OrderLine(ProductId(p), 1, None) for p in products)
    return profile(orders=[Order("o1", 10.0, None, None, 500.0, lines)])


def test_already_purchased_is_left_out_by_default() -> None:
    got = ask(catalog(), profile=_bought("kettle", "coffee"))
    assert "kettle" not in got
    assert "coffee" not in got


def test_already_purchased_stays_in_categories_bought_again() -> None:
    rules = RecommendRules(max_per_category=10, repeatable_categories=frozenset({"Grocery"}))
    got = ask(catalog(), profile=_bought("kettle", "coffee"), rules=rules)
    assert "coffee" in got
    assert "kettle" not in got


def test_already_purchased_can_be_allowed_everywhere() -> None:
    rules = RecommendRules(max_per_category=10, exclude_purchased=False)
    assert "kettle" in ask(catalog(), profile=_bought("kettle"), rules=rules)


# -- in cart ---------------------------------------------------------------------------------


def test_what_is_in_the_cart_is_left_out_per_placement() -> None:
    shopper = profile(cart={ProductId("tent"): 1}, cart_at=900.0)
    assert "tent" not in ask(catalog(), profile=shopper, placement=Placement.CART)
    assert "tent" not in ask(catalog(), profile=shopper, placement=Placement.HOME)
    # An associate sees the cart on purpose: it is not a placement that leaves it out.
    assert "tent" in ask(catalog(), profile=shopper, placement=Placement.ASSOCIATE)
    only_cart = RecommendRules(max_per_category=10, exclude_cart_on=frozenset({Placement.CART}))
    assert "tent" in ask(catalog(), profile=shopper, placement=Placement.HOME, rules=only_cart)
    assert "tent" not in ask(catalog(), profile=shopper, placement=Placement.CART, rules=only_cart)


# -- boost and bury --------------------------------------------------------------------------


def test_a_boost_by_category_lifts_its_products_above_better_scored_ones() -> None:
    rules = RecommendRules(max_per_category=10,
                           boosts=(BoostRule(4.0, category="Outdoor/Camping"),))  # fmt: skip
    assert ask(catalog(), rules=rules)[:2] == ["tent", "stove"]


def test_a_bury_by_brand_sinks_its_products() -> None:
    rules = RecommendRules(max_per_category=10, boosts=(BoostRule(0.1, brand="Brew"),))
    got = ask(catalog(), rules=rules)
    assert got[-2:] == ["kettle", "teapot"]


def test_factor_zero_removes_the_products_named() -> None:
    rules = RecommendRules(
        max_per_category=10, boosts=(BoostRule(0.0, products=frozenset({ProductId("mug")})),)
    )
    got = ask(catalog(), rules=rules)
    assert "mug" not in got
    assert len(got) == len(RANKED) - 1


def test_a_category_rule_matches_subcategories_but_not_lookalikes() -> None:
    home = BoostRule(2.0, category="Home")
    assert home.matches(ProductId("x"), "Home/Kitchen", None)
    assert not home.matches(ProductId("x"), "Homeware", None)


def test_a_boost_rule_must_match_something_and_not_be_negative() -> None:
    with pytest.raises(InvalidRecommenderParams) as missing:
        BoostRule(2.0)
    assert missing.value.field == "category"
    with pytest.raises(InvalidRecommenderParams) as negative:
        BoostRule(-1.0, brand="Brew")
    assert negative.value.field == "factor"


# -- diversity -------------------------------------------------------------------------------


def test_at_most_n_per_category_and_the_next_best_fill_in() -> None:
    got = ask(catalog(), rules=RecommendRules(max_per_category=2), limit=5)
    assert got == ["kettle", "mug", "tent", "stove", "coffee"]
    got = ask(catalog(), rules=RecommendRules(max_per_category=1), limit=5)
    assert got == ["kettle", "tent", "coffee"]


def test_diversity_needs_at_least_one_per_category() -> None:
    with pytest.raises(InvalidRecommenderParams) as caught:
        RecommendRules(max_per_category=0)
    assert caught.value.field == "max_per_category"


def test_the_anchor_product_is_never_recommended_to_itself() -> None:
    items = recommend(
        RecommendRequest(Placement.PRODUCT, limit=7, product_id=ProductId("kettle")),
        CUSTOMER, None, blend=Blend(generators={"fixed": Fixed(RANKED)}, weights={"fixed": 1.0}),
        catalog=catalog(), rules=RecommendRules(max_per_category=10), now=0.0,
    )  # fmt: skip
    assert "kettle" not in [i.product_id for i in items]
    assert [i.product_id for i in items][:3] == ["mug", "teapot", "toaster"]
