"""Answering a request: the anchor's neighbours, the rules, no duplicates."""

from __future__ import annotations

from shopstream.catalog import Catalog, Product
from shopstream.core import CustomerId, ProductId
from shopstream.recommend import Placement, RecommendRequest, RecommendRules, recommend
from shopstream.recommend.live import default_blend


def _catalog() -> Catalog:
    catalog = Catalog()
    catalog.upsert_products([
        Product(ProductId("kettle"), "Glass kettle", ("Home", "Kitchen"), brand="Brew"),
        Product(ProductId("teapot"), "Glass teapot", ("Home", "Kitchen"), brand="Brew"),
        Product(ProductId("mug"), "Stoneware mug", ("Home", "Kitchen"), brand="Clay"),
        Product(ProductId("tent"), "Dome tent", ("Outdoor", "Camping"), brand="Peak"),
        Product(ProductId("stove"), "Camping stove", ("Outdoor", "Camping"), brand="Peak"),
    ])  # fmt: skip
    return catalog


def _ask(catalog: Catalog, product: str) -> list[tuple[str, str]]:
    items = recommend(
        RecommendRequest(Placement.PRODUCT, limit=3, product_id=ProductId(product)),
        CustomerId("c1"), None, blend=default_blend(), catalog=catalog,
        rules=RecommendRules(), now=0.0,
    )  # fmt: skip
    return [(i.product_id, i.reason) for i in items]


def test_a_product_nobody_viewed_with_others_gets_its_similar_products() -> None:
    catalog = _catalog()
    kettle = _ask(catalog, "kettle")
    tent = _ask(catalog, "tent")
    assert [p for p, _ in kettle][:2] == ["teapot", "mug"]
    assert kettle[0][1] == "similar to Glass kettle (shared words)"
    assert tent[0][0] == "stove"
    assert "kettle" not in [p for p, _ in kettle]
    assert len({p for p, _ in kettle}) == len(kettle)
