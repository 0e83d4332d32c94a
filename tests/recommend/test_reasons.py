"""Every item's reason: products named by name, the store named, and how similar products
were found (text embeddings or shared words)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from shopstream.catalog import ONLINE, Catalog, Product, Store
from shopstream.core import CustomerId, ProductId, StoreId
from shopstream.events import parse_message
from shopstream.profiles import Order, OrderLine, Profile
from shopstream.recommend import (
    Behaviour,
    Blend,
    CoVisitation,
    Interaction,
    OwnHistory,
    Placement,
    RecommendRequest,
    RecommendRules,
    Scored,
    fuse,
    recommend,
)
from shopstream.recommend.content import ContentIndex
from shopstream.recommend.service import StoreTrendingCache, named_reason, similar
from shopstream.trends import Trends

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
RULES = RecommendRules(max_per_category=10)


def _catalog() -> Catalog:
    shop = Catalog()
    shop.upsert_products([
        Product(ProductId("p1"), "Red Kettle", ("Home", "Kitchen"), brand="Brew"),
        Product(ProductId("p2"), "Blue Mug", ("Home", "Kitchen"), brand="Clay"),
        Product(ProductId("p3"), "Glass Teapot", ("Home", "Kitchen"), brand="Brew"),
        Product(ProductId("p4"), "Dome Tent", ("Outdoor", "Camping"), brand="Peak"),
        Product(ProductId("p5"), "Kettle Descaler", ("Home", "Cleaning"), brand="Brew"),
    ])  # fmt: skip
    shop.upsert_stores([Store(StoreId("s12"), "Downtown", 38.7, -9.1)])
    return shop


def _covisit(*sessions: tuple[str, str, Behaviour]) -> Blend:
    model = CoVisitation()
    for who, items, behaviour in sessions:
        for at, item in enumerate(items.split()):
            model.partial_fit(Interaction(CustomerId(who), ProductId(item), behaviour, at))
    return Blend(generators={"covisit": model}, weights={"covisit": 1.0})


def _ask(blend: Blend, shop: Catalog, **request: object) -> list[tuple[str, str]]:
    items = recommend(
        RecommendRequest(**request),  # type: ignore[arg-type]
        CustomerId("c"), None, blend=blend, catalog=shop, rules=RULES,
        now=NOW.timestamp(),
    )  # fmt: skip
    return [(i.product_id, i.reason) for i in items]


def test_viewed_together_names_the_product_viewed() -> None:
    blend = _covisit(("a", "p1 p2", Behaviour.VIEW), ("b", "p1 p2", Behaviour.VIEW))
    got = _ask(blend, _catalog(), placement=Placement.PRODUCT, product_id=ProductId("p1"))
    assert got[0] == ("p2", "viewed together with Red Kettle")


def test_bought_together_names_the_product_bought() -> None:
    blend = _covisit(("a", "p1 p2", Behaviour.ORDER))
    shopper = Profile(CustomerId("c"))
    shopper.orders = [Order("o1", 9.0, None, None, NOW.timestamp() - 60,
                            (OrderLine(ProductId("p1"), 1, None),))]  # fmt: skip
    items = recommend(RecommendRequest(Placement.HOME, limit=3), CustomerId("c"), shopper,
                      blend=blend, catalog=_catalog(), rules=RULES, now=NOW.timestamp())  # fmt: skip
    assert (items[0].product_id, items[0].reason) == ("p2", "bought together with Red Kettle")


def test_a_product_the_catalogue_does_not_know_keeps_its_id() -> None:
    blend = _covisit(("a", "x9 p2", Behaviour.VIEW))
    got = _ask(blend, _catalog(), placement=Placement.PRODUCT, product_id=ProductId("x9"))
    assert got[0] == ("p2", "viewed together with x9")


def test_named_reason_replaces_only_a_trailing_id() -> None:
    shop = _catalog()
    assert named_reason(Scored(ProductId("p2"), 1.0, "trending", ProductId("p1")), shop) == (
        "trending"
    )
    assert (
        named_reason(Scored(ProductId("p2"), 1.0, "viewed together with p1", ProductId("p1")), shop)
        == "viewed together with Red Kettle"
    )


def test_the_blend_keeps_what_each_reason_is_about() -> None:
    fused = fuse(
        {"covisit": [Scored(ProductId("b"), 2.0, "viewed together with a", ProductId("a"))],
         "trending": [Scored(ProductId("b"), 1.0, "trending")]},
        {"covisit": 1.0, "trending": 0.5}, k=1,
    )  # fmt: skip
    assert fused[0].about == "a"


def test_own_history_says_why_the_shoppers_own_items_come_back() -> None:
    history = [Interaction(CustomerId("c"), ProductId("p1"), Behaviour.ORDER, 0.0),
               Interaction(CustomerId("c"), ProductId("p2"), Behaviour.VIEW, 10.0)]  # fmt: skip
    reasons = {s.product_id: s.reason for s in OwnHistory().recommend(history, k=2)}
    assert reasons == {"p1": "you bought this before", "p2": "you viewed this recently"}


def _store_trends(store: str, products: list[str]) -> Trends:
    trends = Trends()
    for offset, product in enumerate(products, start=1):
        raw = {"type": "track", "userId": f"u{offset}", "event": "Product Viewed",
               "properties": {"product_id": product, "store_id": store}}  # fmt: skip
        trends.apply(parse_message(raw, source="web", received_at=NOW), offset=offset, now=NOW)
    return trends


def _in_store(trends: Trends, store: str, shop: Catalog) -> list[tuple[str, str]]:
    items = recommend(
        RecommendRequest(Placement.HOME, limit=3, store_id=StoreId(store)), CustomerId("c"), None,
        blend=Blend(generators={}, weights={}), catalog=shop, rules=RULES,
        now=NOW.timestamp(), trends=trends, store_weight=0.3,
    )  # fmt: skip
    return [(i.product_id, i.reason) for i in items]


def test_trending_in_the_shoppers_store_names_the_store() -> None:
    trends = _store_trends("s12", ["p4", "p4", "p4", "p2"])
    assert _in_store(trends, "s12", _catalog()) == [
        ("p4", "trending in Downtown"),
        ("p2", "trending in Downtown"),
    ]


def test_a_store_the_catalogue_does_not_know_is_named_by_its_id() -> None:
    trends = _store_trends("12", ["p3"])
    assert _in_store(trends, "12", _catalog()) == [("p3", "trending in store 12")]


def test_what_trends_in_another_store_is_not_trending_here() -> None:
    trends = _store_trends("s40", ["p4", "p4"])
    assert _in_store(trends, "s12", _catalog()) == []


def test_store_trending_stays_out_without_its_weight() -> None:
    trends = _store_trends("s12", ["p4"])
    items = recommend(
        RecommendRequest(Placement.HOME, limit=3, store_id=StoreId("s12")), CustomerId("c"), None,
        blend=Blend(generators={}, weights={}), catalog=_catalog(), rules=RULES,
        now=NOW.timestamp(), trends=trends, store_weight=0.0,
    )  # fmt: skip
    assert items == []


def test_similar_by_shared_words_says_so() -> None:
    found = similar(_catalog(), ProductId("p1"), 2)
    assert [s.reason for s in found] == ["similar to Red Kettle (shared words)"] * 2
    assert found[0].product_id in {"p3", "p5"}  # Brew, Home: the most words in common


def test_similar_by_text_embeddings_follows_the_vectors_and_says_so() -> None:
    shop = _catalog()
    content = ContentIndex()
    texts = [(p.id, p.text) for p in shop.products()]
    content.queue(texts)
    # Toy vectors: the tent is made closest to the kettle, which no word overlap would say.
    vectors = {"p1": [1.0, 0.0], "p4": [0.9, 0.436], "p2": [0.0, 1.0], "p3": [0.5, 0.866],
               "p5": [0.2, 0.98]}  # fmt: skip
    batch = content.take(10)
    content.add(batch, np.array([vectors[p] for p, _ in batch]), model="toy")
    found = similar(shop, ProductId("p1"), 2, content)
    assert [(s.product_id, s.reason) for s in found] == [
        ("p4", "similar to Red Kettle (text embeddings)"),
        ("p3", "similar to Red Kettle (text embeddings)"),
    ]
    # A product not encoded yet falls back to shared words.
    shop.upsert_products([Product(ProductId("p6"), "Red Kettle Lid", ("Home", "Kitchen"))])
    assert similar(shop, ProductId("p6"), 1, content)[0].reason.endswith("(shared words)")


def test_the_service_uses_embeddings_for_a_cold_product_anchor() -> None:
    shop = _catalog()
    shop.set_stock([(ONLINE, ProductId(p), 3) for p in ("p1", "p2", "p3", "p4", "p5")])
    content = ContentIndex()
    content.queue([(p.id, p.text) for p in shop.products()])
    batch = content.take(10)
    content.add(batch, np.eye(5)[[int(p[1:]) - 1 for p, _ in batch]] + 0.1 * np.eye(5)[3],
                model="toy")  # fmt: skip
    items = recommend(
        RecommendRequest(Placement.PRODUCT, limit=1, product_id=ProductId("p1")),
        CustomerId("c"), None, blend=Blend(generators={}, weights={}), catalog=shop,
        rules=RULES, now=0.0, content=content,
    )  # fmt: skip
    assert [(i.product_id, i.reason) for i in items] == [
        ("p4", "similar to Red Kettle (text embeddings)")
    ]


def test_a_stores_ranking_is_asked_of_the_trends_at_most_once_a_second() -> None:
    trends = _store_trends("s12", ["p4"])
    cache = StoreTrendingCache()
    now = NOW.timestamp()
    assert [r.key for r in cache.top(trends, StoreId("s12"), now, 5)] == ["p4"]
    raw = {"type": "track", "userId": "u9", "event": "Product Added",
           "properties": {"product_id": "p2", "store_id": "s12"}}  # fmt: skip
    trends.apply(parse_message(raw, source="web", received_at=NOW), offset=99, now=NOW)
    assert [r.key for r in cache.top(trends, StoreId("s12"), now + 0.5, 5)] == ["p4"]
    assert [r.key for r in cache.top(trends, StoreId("s12"), now + 1.0, 5)] == ["p2", "p4"]
