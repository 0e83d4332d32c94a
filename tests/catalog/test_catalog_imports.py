from __future__ import annotations

import io

import pytest

from shopstream.catalog import Catalog, InvalidCatalogData, parse_products_csv
from shopstream.core import ProductId, StoreId

PRODUCTS = """product_id,name,category,brand,price,color
p1,Glass kettle,Home > Kitchen > Kettles,Brew,39.90,clear
p2,Mug,Home > Kitchen,,4.5,
"""


def test_import_products_reads_columns_and_attributes() -> None:
    catalog = Catalog()
    assert catalog.import_products_csv(PRODUCTS) == 2
    kettle = catalog.require(ProductId("p1"))
    assert kettle.category == ("Home", "Kitchen", "Kettles")
    assert kettle.brand == "Brew"
    assert kettle.price == pytest.approx(39.9)
    assert kettle.attributes == {"color": "clear"}
    mug = catalog.require(ProductId("p2"))
    assert mug.brand is None
    assert mug.attributes == {}


def test_import_products_accepts_a_file_and_skips_blank_rows() -> None:
    products = parse_products_csv(io.StringIO("product_id,name\np1,Kettle\n,\n"))
    assert [p.id for p in products] == ["p1"]


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ("product_id,brand\np1,Brew\n", "row[1]", "missing required column(s) ['name']"),
        ("product_id,name,price\np1,Kettle,abc\n", "row[2].price", "row 2, column 'price'"),
        ("product_id,name,price\np1,Kettle,1\np2,Mug,-3\n", "row[3].price", "non-negative"),
        ("product_id,name\np1,Kettle\np2,\n", "row[3].name", "must not be empty"),
        ("product_id,name\np1,Kettle,extra\n", "row[2]", "more cells"),
    ],
)
def test_import_products_errors_name_row_and_column(text: str, field: str, message: str) -> None:
    catalog = Catalog()
    with pytest.raises(InvalidCatalogData) as info:
        catalog.import_products_csv(text)
    assert info.value.field == field
    assert message in str(info.value)
    assert len(catalog) == 0  # all or nothing


def test_import_inventory_sets_levels_online_and_per_store() -> None:
    catalog = Catalog()
    text = "product_id,store_id,quantity\np1,s1,5\np1,,7\np2,online,0\n"
    assert catalog.import_inventory_csv(text) == 3
    assert catalog.stock(ProductId("p1"), StoreId("s1")) == 5
    assert catalog.stock(ProductId("p1")) == 7
    assert catalog.stock_by_location(ProductId("p2")) == {"online": 0}


def test_import_inventory_rejects_non_integer_quantity() -> None:
    with pytest.raises(InvalidCatalogData, match=r"row 3, column 'quantity'.*'2.5'") as info:
        Catalog().import_inventory_csv("product_id,quantity\np1,1\np2,2.5\n")
    assert info.value.field == "row[3].quantity"
