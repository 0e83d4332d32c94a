"""Real datasets replayed as the Segment events a retailer's tracking would have sent.

Two public datasets (see ``SOURCE.md`` next to each) become raw Segment messages, the dicts
an SDK would POST to ``/v1/batch``, so a replay goes through the same parsing, log and
processors as live traffic:

- Taobao *UserBehavior* (:func:`taobao_events`): one ``track`` per row. ``pv`` is
  ``Product Viewed``, ``fav`` ``Product Added to Wishlist``, ``cart`` ``Product Added`` and
  ``buy`` ``Order Completed`` with the one product bought. Shoppers are logged in
  (``userId`` ``tb-<user_id>``); the data has no prices, names or channels.
- UCI *Online Retail* (:func:`online_retail_events`): one ``Order Completed`` per invoice,
  its lines as ``products``. Customers are ``userId`` ``uk-<CustomerID>``; an invoice with
  no customer gets an ``anonymousId`` of its own. Cancellations (``C…``), bad-debt
  adjustments (``A…``) and lines with no positive quantity or a negative price are left
  out: they are not purchases a storefront would report.

Both read the files as they are (gzip or not), row by row, and yield events in file order;
``messageId`` and ``order_id`` are derived from the row, so a replay is deterministic.
:func:`repeat` plays a dataset again and again with fresh ids and later times, to reach a
load the dataset alone does not have.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from shopstream.events import MAX_EVENT_BYTES, Channel, EventName

RawEvent = dict[str, Any]
"""One message as an SDK sends it (camelCase, JSON-able)."""

TAOBAO_FILE = Path("taobao-userbehavior-slice") / "UserBehavior.csv.gz"
"""The Taobao slice, relative to the shared data directory."""
ONLINE_RETAIL_DIR = Path("uci-online-retail") / "by-day"
"""The Online Retail files (one per trading day), relative to the shared data directory."""

_TAOBAO_EVENTS = {
    "pv": EventName.PRODUCT_VIEWED,
    "fav": EventName.PRODUCT_ADDED_TO_WISHLIST,
    "cart": EventName.PRODUCT_ADDED,
    "buy": EventName.ORDER_COMPLETED,
}
_LONDON = ZoneInfo("Europe/London")
_TIME_KEYS = ("timestamp", "originalTimestamp", "sentAt", "receivedAt")
_ID_KEYS = ("messageId", "userId", "anonymousId", "previousId")


def _open_text(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return path.open(encoding="utf-8", newline="")


def _iso(moment: datetime) -> str:
    """ISO-8601 in UTC with a ``Z``, as Segment's SDKs write timestamps."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _with_channel(event: RawEvent, channel: Channel | str | None) -> RawEvent:
    if channel is not None:
        event["context"] = {"channel": str(Channel(channel))}
    return event


# -- Taobao UserBehavior --------------------------------------------------------------------


def taobao_events(path: Path, *, channel: Channel | str | None = None) -> Iterator[RawEvent]:
    """The Taobao rows as ``track`` events, in file order.

    Args:
        path: ``UserBehavior.csv`` or ``.csv.gz`` (no header: user_id, item_id,
            category_id, behavior_type, timestamp), or the directory holding it.
        channel: ``context.channel`` to declare; the data does not say, so by default none
            is sent and the collector derives one.

    Raises:
        ValueError: a row with an unknown behaviour or the wrong number of columns.

    Examples:
        >>> from itertools import islice
        >>> next(taobao_events(data / TAOBAO_FILE))  # doctest: +SKIP
        {'type': 'track', 'event': 'Product Viewed', 'userId': 'tb-543462', ...}
    """
    if path.is_dir():
        path = path / TAOBAO_FILE.name
    last_epoch, last_iso = "", ""
    with _open_text(path) as text:
        for row_number, row in enumerate(csv.reader(text), start=1):
            if len(row) != 5:
                msg = f"{path.name} row {row_number} must have 5 columns; got {len(row)}"
                raise ValueError(msg)
            user_id, item_id, category_id, behavior, epoch = row
            event = _TAOBAO_EVENTS.get(behavior)
            if event is None:
                msg = f"{path.name} row {row_number}: behavior_type must be one of {sorted(_TAOBAO_EVENTS)}; got {behavior!r}"
                raise ValueError(msg)
            if epoch != last_epoch:  # many rows share a second
                last_epoch, last_iso = epoch, _iso(datetime.fromtimestamp(int(epoch), UTC))
            message_id = f"tb-{row_number}"
            properties: dict[str, Any] = {"product_id": item_id, "category": category_id}
            if event is EventName.PRODUCT_ADDED:
                properties["quantity"] = 1
            elif event is EventName.ORDER_COMPLETED:
                properties = {
                    "order_id": f"tb-o{row_number}",
                    "products": [{**properties, "quantity": 1}],
                }
            yield _with_channel(
                {
                    "type": "track",
                    "event": str(event),
                    "userId": f"tb-{user_id}",
                    "properties": properties,
                    "timestamp": last_iso,
                    "messageId": message_id,
                },
                channel,
            )


# -- UCI Online Retail ----------------------------------------------------------------------


def online_retail_events(
    path: Path, *, channel: Channel | str | None = Channel.WEB
) -> Iterator[RawEvent]:
    """One ``Order Completed`` per invoice, in file (and so time) order.

    Args:
        path: the ``by-day`` directory (files read in name order), the dataset directory
            holding it, or one CSV file (``.csv`` or ``.csv.gz``, with its header).
        channel: ``context.channel``; the retailer sells online only, so ``web``.

    Each invoice's lines become ``products`` (``product_id`` = StockCode, ``name`` =
    Description, ``price`` = UnitPrice, ``quantity``) with ``total`` their sum in GBP; its
    time is ``InvoiceDate`` read as UK local time (``Europe/London``) and sent in UTC. The
    few invoices of hundreds of lines would exceed the 32 KB an event may have: those are
X
    """
    if path.is_dir():
        days = path / ONLINE_RETAIL_DIR.name if (path / ONLINE_RETAIL_DIR.name).is_dir() else path
        files = sorted(p for p in days.iterdir() if p.name.endswith((".csv", ".csv.gz")))
    else:
        files = [path]
    for file in files:
        yield from _retail_file(file, channel)


def _retail_file(path: Path, channel: Channel | str | None) -> Iterator[RawEvent]:
    # A day's invoices (a few thousand rows at most) are grouped in memory: an invoice's
    # lines are nearly always adjacent, but not always.
    invoices: dict[str, list[dict[str, str]]] = {}
    with _open_text(path) as text:
        for row in csv.DictReader(text):
            invoice = row["InvoiceNo"]
            if invoice[:1].isdigit():  # C: cancellation, A: bad-debt adjustment
                invoices.setdefault(invoice, []).append(row)
    for invoice, rows in invoices.items():
        event = _invoice_event(invoice, rows, channel)
        if event is not None:
            yield event


def _invoice_event(
    invoice: str, rows: list[dict[str, str]], channel: Channel | str | None
) -> RawEvent | None:
    products: list[dict[str, Any]] = []
    for row in rows:
        quantity, price = int(row["Quantity"]), float(row["UnitPrice"])
        if quantity <= 0 or price < 0:
            continue
        line: dict[str, Any] = {"product_id": row["StockCode"]}
        description = row["Description"].strip()
        if description:
            line["name"] = description
        line.update(price=price, quantity=quantity)
        products.append(line)
    if not products:
        return None
    first = rows[0]
    local = datetime.fromisoformat(first["InvoiceDate"]).replace(tzinfo=_LONDON)
    event: RawEvent = {
        "type": "track",
        "event": str(EventName.ORDER_COMPLETED),
        "properties": {
            "order_id": invoice,
            "total": round(sum(p["price"] * p["quantity"] for p in products), 2),
            "currency": "GBP",
            "products": products,
        },
        "timestamp": _iso(local),
        "messageId": f"uk-{invoice}",
    }
    customer = first["CustomerID"]
    if customer:
        event["userId"] = f"uk-{int(float(customer))}"
    else:
        event["anonymousId"] = f"uk-anon-{invoice}"
    context: dict[str, Any] = {}
    if channel is not None:
        context["channel"] = str(Channel(channel))
    if first["Country"]:
        context["location"] = {"country": first["Country"]}
    if context:
        event["context"] = context
    if len(orjson.dumps(event)) > MAX_EVENT_BYTES:
        for line in products:
            line.pop("name", None)
    return event


# -- more load than a dataset has -----------------------------------------------------------


def shift(event: RawEvent, *, suffix: str, by: timedelta) -> RawEvent:
    """A copy of ``event`` as another shopper's, later: ids suffixed, times moved by ``by``.

    ``messageId``, ``userId``, ``anonymousId``, ``previousId`` and ``properties.order_id``
    get ``suffix``; ``timestamp``, ``originalTimestamp``, ``sentAt`` and ``receivedAt`` move
    by ``by``. Product ids stay, so every pass shops the same catalogue. E-mails and phones
    in traits are left alone (a changed address would not be one).

    Examples:
        >>> shift({"userId": "u1", "timestamp": "2020-01-01T00:00:00Z"},
        ...       suffix="-r2", by=timedelta(hours=1))
        {'userId': 'u1-r2', 'timestamp': '2020-01-01T01:00:00Z'}
    """
    copy = dict(event)
    for key in _ID_KEYS:
        value = copy.get(key)
        if isinstance(value, str) and value:
            copy[key] = value + suffix
    for key in _TIME_KEYS:
        value = copy.get(key)
        if isinstance(value, str):
            copy[key] = _iso(datetime.fromisoformat(value) + by)
    properties = copy.get("properties")
    if isinstance(properties, dict) and isinstance(properties.get("order_id"), str):
        copy["properties"] = {**properties, "order_id": properties["order_id"] + suffix}
    return copy


def repeat(
    events: Callable[[], Iterable[RawEvent]],
    *,
    passes: int | None = None,
    span: timedelta | None = None,
) -> Iterator[RawEvent]:
    """Play a dataset ``passes`` times (forever with ``None``), each pass after the last.

    Pass 1 is the dataset as it is; pass ``k`` is shifted (:func:`shift`) with suffix
    ``-r<k>`` and ``(k - 1) * span`` later, so passes are distinct shoppers, orders and
    messages, one after the other in time. Without ``span`` it is measured on pass 1: from
    its first to its last ``timestamp``, plus one second.

    Args:
        events: makes the dataset's events afresh (it is called once a pass, so nothing is
            held in memory), such as ``lambda: taobao_events(path)``.

    Raises:
        ValueError: ``passes`` below 1, or pass 1 carries no timestamps to measure a span on.

    Examples:
        >>> from itertools import islice
        >>> million = islice(repeat(lambda: taobao_events(path)), 1_000_000)  # doctest: +SKIP
    """
    if passes is not None and passes < 1:
        msg = f"passes must be at least 1; got {passes}"
        raise ValueError(msg)
    first: datetime | None = None
    last: datetime | None = None
    measure = span is None and passes != 1
    for event in events():
        if measure and isinstance(event.get("timestamp"), str):
            moment = datetime.fromisoformat(event["timestamp"])
            first = moment if first is None else min(first, moment)
            last = moment if last is None else max(last, moment)
        yield event
    if passes == 1:
        return
    if span is None:
        if first is None or last is None:
            msg = "repeat needs timestamps on the events to measure the dataset's span"
            raise ValueError(msg)
        span = last - first + timedelta(seconds=1)
    number = 2
    while passes is None or number <= passes:
        by, suffix = span * (number - 1), f"-r{number}"
        for event in events():
            yield shift(event, suffix=suffix, by=by)
        number += 1
