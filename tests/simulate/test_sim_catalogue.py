"""The generated catalogue: plausible products, real stores with zones, consistent stock."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from shopstream.catalog import ONLINE, Catalog
from shopstream.simulate import generate_catalogue
from shopstream.simulate.assortment import DEPARTMENTS
from shopstream.simulate.stores import SITES


def test_same_seed_same_catalogue_and_another_seed_another() -> None:
    assert generate_catalogue(3) == generate_catalogue(3)
    assert generate_catalogue(3).products != generate_catalogue(4).products


@pytest.mark.parametrize("count", [300, 600, 2000])
def test_products_cover_the_category_tree_with_names_brands_and_prices(count: int) -> None:
    catalogue = generate_catalogue(1, products=count)
    assert len(catalogue.products) == count
    assert len({p.id for p in catalogue.products}) == count
    leaves = {line.path for dept in DEPARTMENTS for line in dept.lines}
    assert set(catalogue.categories) == leaves
    assert all(len(catalogue.in_category(leaf)) >= 2 for leaf in leaves)
    for product in catalogue.products:
        assert product.name[0].isupper() and product.brand
        assert product.price is not None and product.price > 0
        assert product.text.startswith(f"{product.name} by {product.brand}")
        assert " > ".join(product.category) in product.text


def test_names_read_like_a_general_retailer() -> None:
    catalogue = generate_catalogue(1, products=2000)
    names = {p.name for p in catalogue.products}
    assert any(name.endswith("kettle 1.7 L") for name in names)
    assert "Stoneware mug" in names
    kettles = catalogue.in_category(("Home", "Kitchen", "Kettles"))
    assert all(str(p.attributes["size"]) in p.name for p in kettles)
    dresses = catalogue.in_category(("Fashion", "Women", "Dresses"))
    assert all({"colour", "size"} <= set(p.attributes) for p in dresses)


def test_prices_follow_their_line() -> None:
    catalogue = generate_catalogue(2, products=2000)
    laptops = catalogue.reference_price(("Electronics", "Computers", "Laptops"))
    mugs = catalogue.reference_price(("Home", "Kitchen", "Mugs"))
    assert laptops > 20 * mugs
    assert all(p.price == round(p.price or 0.0, 2) for p in catalogue.products)


def test_stores_are_real_sites_with_time_zones_and_zones_over_their_categories() -> None:
    catalogue = generate_catalogue(1, stores=5)
    assert [s.id for s in catalogue.stores] == [site.store_id for site in SITES]
    for store in catalogue.stores:
        ZoneInfo(store.timezone)
        assert store.zones
        held = [p for p in catalogue.products if any(z.depth_for(p.category) for z in store.zones)]
        assert len(held) > len(catalogue.products) / 2
    flagship, standard = catalogue.stores[0], catalogue.stores[1]
    assert len(flagship.zones) > len(standard.zones)
    kitchen = next(z for z in flagship.zones if z.id == "z-home-kitchen")
    assert kitchen.depth_for(("Home", "Kitchen", "Kettles")) == 2


def test_stock_is_online_for_everything_and_in_stores_for_what_their_zones_hold() -> None:
    catalogue = generate_catalogue(5, products=400, stores=3)
    online = {pid for loc, pid, _ in catalogue.stock if loc == ONLINE}
    assert online == {p.id for p in catalogue.products}
    stores = {s.id: s for s in catalogue.stores}
    for location, product_id, quantity in catalogue.stock:
        assert quantity >= 0
        if location != ONLINE:
            product = catalogue.product(product_id)
            assert any(z.depth_for(product.category) for z in stores[location].zones)
    assert len({loc for loc, _, _ in catalogue.stock}) == 4


def test_the_catalogue_loads_into_the_catalog_domain() -> None:
    catalogue = generate_catalogue(6, products=300, stores=4)
    catalog = Catalog()
    catalog.upsert_products(catalogue.products)
    catalog.upsert_stores(catalogue.stores)
    catalog.set_stock(catalogue.stock)
    assert len(catalog) == 300
    assert catalog.search("kettle")
    for store in catalogue.stores:
        for product in catalogue.products[:50]:
            zone = catalog.zone_for(store.id, product.category)
            assert zone is None or zone in store.zones


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"products": 10}, "products must be at least"),
        ({"stores": 0}, "stores must be in"),
        ({"stores": 6}, "stores must be in"),
    ],
)
def test_out_of_range_sizes_are_refused(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate_catalogue(1, **kwargs)
