"""The real datasets become valid Segment events, row for row, and repeat into more load."""

from __future__ import annotations

import csv
import gzip
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path

import orjson
import pytest

from shopstream.events import MAX_EVENT_BYTES, parse_message
from shopstream.simulate import (
    ONLINE_RETAIL_DIR,
    TAOBAO_FILE,
    online_retail_events,
    repeat,
    shift,
    taobao_events,
)

# The shared data sits next to the repository (CI has it at the same relative path).
DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
TAOBAO = DATA / TAOBAO_FILE
RETAIL = DATA / ONLINE_RETAIL_DIR
FIRST_DAY = RETAIL / "2010-12-01.csv.gz"
RECEIVED = datetime(2026, 1, 1, tzinfo=UTC)

pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason=f"shared data not found at {DATA}")


def test_taobao_first_row_is_a_product_view_of_a_logged_in_shopper() -> None:
    first = next(taobao_events(TAOBAO))
    assert first == {
        "type": "track",
        "event": "Product Viewed",
        "userId": "tb-543462",
        "properties": {"product_id": "1715", "category": "1464116"},
        "timestamp": "2017-11-26T01:00:00Z",
        "messageId": "tb-1",
    }


def test_taobao_behaviours_map_to_ecommerce_events() -> None:
    rows = _taobao_rows(3000)
    events = list(islice(taobao_events(TAOBAO), 3000))
    expected = {
        "pv": "Product Viewed",
        "fav": "Product Added to Wishlist",
        "cart": "Product Added",
        "buy": "Order Completed",
    }
    assert {row[3] for row in rows} == set(expected)
    for number, (row, event) in enumerate(zip(rows, events, strict=True), start=1):
        user_id, item_id, category_id, behavior, epoch = row
        assert event["event"] == expected[behavior]
        assert event["userId"] == f"tb-{user_id}"
        assert event["messageId"] == f"tb-{number}"
        moment = datetime.fromtimestamp(int(epoch), UTC)
        assert datetime.fromisoformat(event["timestamp"]) == moment
        props = event["properties"]
        if behavior == "buy":
            assert props == {
                "order_id": f"tb-o{number}",
                "products": [{"product_id": item_id, "category": category_id, "quantity": 1}],
            }
        elif behavior == "cart":
            assert props == {"product_id": item_id, "category": category_id, "quantity": 1}
        else:
            assert props == {"product_id": item_id, "category": category_id}


def test_taobao_events_pass_the_event_contract() -> None:
    for raw in islice(taobao_events(TAOBAO), 3000):
        message = parse_message(raw, source="taobao", received_at=RECEIVED)
        assert message.identities[0].value == raw["userId"]


def test_taobao_channel_is_declared_only_when_asked() -> None:
    event = next(taobao_events(TAOBAO.parent, channel="app"))  # the directory works too
    assert event["context"] == {"channel": "app"}
    assert "context" not in next(taobao_events(TAOBAO))


def test_retail_first_invoice_is_one_order_with_its_lines() -> None:
    first = next(online_retail_events(RETAIL))
    assert first["event"] == "Order Completed"
    assert first["userId"] == "uk-17850"
    assert first["messageId"] == "uk-536365"
    assert first["timestamp"] == "2010-12-01T08:26:00Z"  # GMT in winter
    assert first["context"] == {"channel": "web", "location": {"country": "United Kingdom"}}
    props = first["properties"]
    assert (props["order_id"], props["currency"], props["total"]) == ("536365", "GBP", 139.12)
    assert props["products"][0] == {
        "product_id": "85123A",
        "name": "WHITE HANGING HEART T-LIGHT HOLDER",
        "price": 2.55,
        "quantity": 6,
    }
    assert len(props["products"]) == 7


def test_retail_reads_the_dataset_directory_and_single_files_alike() -> None:
    from_dir = list(islice(online_retail_events(RETAIL.parent), 50))
    from_file = list(islice(online_retail_events(FIRST_DAY), 50))
    assert from_dir == from_file


def test_retail_uk_local_time_becomes_utc_in_summer() -> None:
    first = next(online_retail_events(RETAIL / "2011-06-01.csv.gz"))
    assert first["properties"]["order_id"] == "555156"
    assert first["timestamp"] == "2011-06-01T06:37:00Z"  # 07:37 BST


def test_retail_skips_cancellations_and_keeps_every_purchased_line() -> None:
    rows = _retail_rows(FIRST_DAY)
    wanted: dict[str, int] = {}
    for row in rows:
        if row["InvoiceNo"][0].isdigit() and int(row["Quantity"]) > 0:
            wanted[row["InvoiceNo"]] = wanted.get(row["InvoiceNo"], 0) + 1
    assert any(row["InvoiceNo"].startswith("C") for row in rows)
    events = list(online_retail_events(FIRST_DAY))
    got = {e["properties"]["order_id"]: len(e["properties"]["products"]) for e in events}
    assert got == wanted


def test_retail_unknown_customers_are_anonymous_per_invoice() -> None:
    events = list(online_retail_events(FIRST_DAY))
    anonymous = [e for e in events if "userId" not in e]
    assert anonymous
    for event in anonymous:
        assert event["anonymousId"] == f"uk-anon-{event['properties']['order_id']}"


def test_retail_events_pass_the_event_contract() -> None:
    for raw in online_retail_events(FIRST_DAY):
        message = parse_message(raw, source="retail", received_at=RECEIVED)
        assert message.properties["products"]
        assert all(line["quantity"] > 0 for line in message.properties["products"])


def test_shift_suffixes_ids_and_moves_times() -> None:
    raw = next(e for e in taobao_events(TAOBAO) if e["event"] == "Order Completed")
    moved = shift(raw, suffix="-r3", by=timedelta(hours=2))
    assert moved["userId"] == raw["userId"] + "-r3"
    assert moved["messageId"] == raw["messageId"] + "-r3"
    assert moved["properties"]["order_id"] == raw["properties"]["order_id"] + "-r3"
    assert moved["properties"]["products"] == raw["properties"]["products"]
    later = datetime.fromisoformat(raw["timestamp"]) + timedelta(hours=2)
    assert datetime.fromisoformat(moved["timestamp"]) == later
    assert raw["userId"].endswith(tuple("0123456789"))  # the original is left as it was


def test_repeat_plays_passes_one_after_the_other_with_distinct_ids() -> None:
    day = list(online_retail_events(FIRST_DAY))
    played = list(repeat(lambda: online_retail_events(FIRST_DAY), passes=3))
    assert len(played) == 3 * len(day)
    assert played[: len(day)] == day
    times = [datetime.fromisoformat(e["timestamp"]) for e in day]
    span = max(times) - min(times) + timedelta(seconds=1)
    second = played[len(day)]
    assert second["messageId"] == day[0]["messageId"] + "-r2"
    assert second["userId"] == day[0]["userId"] + "-r2"
    assert datetime.fromisoformat(second["timestamp"]) == times[0] + span
    third = played[2 * len(day)]
    assert datetime.fromisoformat(third["timestamp"]) == times[0] + 2 * span
    assert len({e["messageId"] for e in played}) == len(played)


def test_repeat_streams_past_the_dataset() -> None:
    events = repeat(lambda: taobao_events(TAOBAO), span=timedelta(days=1))
    skipped = islice(events, 110_300, 110_301)
    [event] = list(skipped)
    assert event["messageId"] == "tb-1-r2"
    assert event["timestamp"] == "2017-11-27T01:00:00Z"


def test_repeat_needs_at_least_one_pass() -> None:
    with pytest.raises(ValueError, match="passes must be at least 1; got 0"):
        next(repeat(lambda: [], passes=0))


def _taobao_rows(limit: int) -> list[list[str]]:
    with gzip.open(TAOBAO, "rt", newline="") as text:
        return list(islice(csv.reader(text), limit))


def _retail_rows(path: Path) -> list[dict[str, str]]:
    with gzip.open(path, "rt", newline="") as text:
        return list(csv.DictReader(text))


def test_retail_invoices_too_big_for_one_event_are_sent_without_line_names(
    tmp_path: Path,
) -> None:
    header = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
    small = [
        f"1,S{n},SMALL THING {n},1,2011-01-02 10:00:00,1.25,17850,United Kingdom" for n in range(3)
    ]
    big = [
        f"2,B{n},A RATHER LONG PRODUCT DESCRIPTION NUMBER {n},2,2011-01-02 11:00:00,3.5,17850,United Kingdom"
        for n in range(500)
    ]
    day = tmp_path / "2011-01-02.csv"
    day.write_text("\n".join([header, *small, *big]) + "\n")
    first, second = online_retail_events(day)
    assert all("name" in line for line in first["properties"]["products"])
    assert len(second["properties"]["products"]) == 500
    assert not any("name" in line for line in second["properties"]["products"])
    assert len(orjson.dumps(second)) <= MAX_EVENT_BYTES
    parse_message(second, source="retail", received_at=RECEIVED)
