from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from shopstream.recommend import Behaviour, InvalidDataset
from shopstream.recommend.evaluation import load_online_retail, load_taobao
from shopstream.recommend.evaluation.datasets import is_product_code

HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
DAY_ONE = [
    "536365,85123A,HEART,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom",
    "536365,71053,LANTERN,6,2010-12-01 08:26:00,3.39,17850.0,United Kingdom",
    "536366,22633,HAND WARMER,6,2010-12-01 08:28:00,1.85,,United Kingdom",  # no customer
    "C536379,D,Discount,-1,2010-12-01 09:41:00,27.5,14527.0,United Kingdom",  # cancellation
    "536380,22961,JAM,-2,2010-12-01 09:41:00,1.45,14527.0,United Kingdom",  # quantity <= 0
    "536381,22962,JAR,2,2010-12-01 09:41:00,0.0,14527.0,United Kingdom",  # price <= 0
    "536382,POST,POSTAGE,1,2010-12-01 09:45:00,18.0,12583.0,France",  # listed non-product
    "536383,C2,CARRIAGE,1,2010-12-01 09:45:00,50.0,12583.0,France",  # listed, has a digit
]
DAY_TWO = [
    "536390,BANK CHARGES,BANK CHARGES,1,2010-12-02 10:00:00,15.0,12583.0,France",
    "536391,gift_0001_10,GIFT VOUCHER,1,2010-12-02 10:00:00,8.5,12583.0,France",  # kept
    "536392,ABCD,NO DIGIT,1,2010-12-02 10:00:00,1.0,12583.0,France",  # no digit
]


def write_retail(root: Path, days: dict[str, list[str]]) -> Path:
    folder = root / "uci-online-retail" / "by-day"
    folder.mkdir(parents=True)
    for day, rows in days.items():
        with gzip.open(folder / f"{day}.csv.gz", "wt", encoding="utf-8") as handle:
            handle.write(HEADER + "".join(row + "\n" for row in rows))
    return root


def test_retail_cleaning_follows_the_protocol(tmp_path: Path) -> None:
    data = load_online_retail(
        write_retail(tmp_path, {"2010-12-01": DAY_ONE, "2010-12-02": DAY_TWO})
    )
    assert [(i.customer_id, i.product_id, i.order_id) for i in data.interactions] == [
        ("17850", "85123A", "536365"),
        ("17850", "71053", "536365"),
        ("12583", "gift_0001_10", "536391"),
    ]
    assert all(i.behaviour is Behaviour.ORDER for i in data.interactions)
    assert data.interactions[0].at == 1291191960.0  # 2010-12-01 08:26 read as UTC
    assert data.counts == {
        "rows_read": 11,
        "dropped_no_customer": 1,
        "dropped_cancellation": 1,
        "dropped_non_positive_quantity_or_price": 2,
        "dropped_non_product_code": 4,
        "rows_kept": 3,
        "customers": 2,
        "products": 3,
        "invoices": 2,
    }


def test_non_product_codes() -> None:
    kept = ["85123A", "22633", "C20", "DCGS0003"]
    dropped = [
        "POST",
        "D",
        "M",
        "C2",
        "DOT",
        "BANK CHARGES",
        "AMAZONFEE",
        "CRUK",
        "PADS",
        "B",
        "S",
        "m",
    ]
    assert all(map(is_product_code, kept))
    assert not any(map(is_product_code, dropped))


def test_retail_customer_ids_must_be_integers(tmp_path: Path) -> None:
    row = "536365,85123A,HEART,6,2010-12-01 08:26:00,2.55,17850.5,United Kingdom"
    with pytest.raises(InvalidDataset, match="CustomerID must be an integer"):
        load_online_retail(write_retail(tmp_path, {"2010-12-01": [row]}))


def test_missing_files_are_reported(tmp_path: Path) -> None:
    with pytest.raises(InvalidDataset, match="by-day"):
        load_online_retail(tmp_path)
    with pytest.raises(InvalidDataset, match="UserBehavior"):
        load_taobao(tmp_path)


def write_taobao(root: Path, lines: list[str]) -> Path:
    folder = root / "taobao-userbehavior-slice"
    folder.mkdir(parents=True)
    with gzip.open(folder / "UserBehavior.csv.gz", "wt", encoding="utf-8") as handle:
        handle.write("".join(line + "\n" for line in lines))
    return root


def test_taobao_rows_become_interactions_with_their_category(tmp_path: Path) -> None:
    lines = [
        "1,10,100,pv,1511658000",
        "1,10,100,cart,1511658001",
        "2,11,101,buy,1511658002",
        "2,12,101,fav,1511658003",
    ]
    data = load_taobao(write_taobao(tmp_path, lines))
    assert [(i.customer_id, i.product_id, i.category, i.behaviour) for i in data.interactions] == [
        ("1", "10", "100", Behaviour.VIEW),
        ("1", "10", "100", Behaviour.CART),
        ("2", "11", "101", Behaviour.ORDER),
        ("2", "12", "101", Behaviour.WISHLIST),
    ]
    assert data.counts["users"] == 2 and data.counts["items"] == 3
    assert data.counts["behaviour_view"] == 1


def test_taobao_rejects_unknown_behaviours(tmp_path: Path) -> None:
    with pytest.raises(InvalidDataset, match="line 1"):
        load_taobao(write_taobao(tmp_path, ["1,10,100,click,1511658000"]))
