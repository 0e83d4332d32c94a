from __future__ import annotations

import pytest

from shopstream.catalog import (
    InvalidCatalogData,
    Product,
    Store,
    Zone,
    category_key,
    parse_category,
)
from shopstream.core import ProductId, StoreId


def test_parse_category_accepts_separators_and_lists() -> None:
    assert parse_category("Home > Kitchen > Kettles") == ("Home", "Kitchen", "Kettles")
    assert parse_category("Home/Kitchen") == ("Home", "Kitchen")
    assert parse_category(["Home", " ", "Garden "]) == ("Home", "Garden")
    assert parse_category(None) == ()
    assert category_key(("Home", "Kitchen")) == "Home/Kitchen"


def test_product_text_defaults_to_name_brand_category() -> None:
    product = Product(ProductId("p1"), "Kettle", ("Home", "Kitchen"), brand="Brew")
    assert product.text == "Kettle. Brew. Home > Kitchen"
    assert Product(ProductId("p2"), "Mug", text="A mug").text == "A mug"


def test_product_rejects_negative_price_and_empty_id() -> None:
    with pytest.raises(InvalidCatalogData, match="price"):
        Product(ProductId("p1"), "Kettle", price=-1)
    with pytest.raises(InvalidCatalogData) as info:
        Product(ProductId(""), "Kettle")
    assert info.value.code == "catalog.invalid"
    assert isinstance(info.value, ValueError)


def test_store_validates_location_timezone_and_zones() -> None:
    with pytest.raises(InvalidCatalogData, match="location"):
        Store(StoreId("s1"), "Main", lat=91, lon=0)
    with pytest.raises(InvalidCatalogData, match="timezone") as info:
        Store(StoreId("s1"), "Main", lat=0, lon=0, timezone="Mars/Olympus")
    assert info.value.field == "timezone"
    with pytest.raises(InvalidCatalogData, match="unique"):
        Store(StoreId("s1"), "Main", 0, 0, zones=(Zone("z", "A"), Zone("z", "B")))
    with pytest.raises(InvalidCatalogData, match="online"):
        Store(StoreId("online"), "Web", 0, 0)


def test_zone_depth_prefers_the_deepest_category() -> None:
    zone = Zone("z1", "Kitchen", categories=(("Home",), ("Home", "Kitchen")))
    assert zone.depth_for(("Home", "Kitchen", "Kettles")) == 2
    assert zone.depth_for(("Home", "Garden")) == 1
    assert zone.depth_for(("Toys",)) == 0
