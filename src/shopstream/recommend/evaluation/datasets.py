"""Loaders of the two evaluation datasets as interaction tables, cleaned as EVALUATION.md says.

Both read the files in ``shared/data`` as they are and return every kept row as an
:class:`~shopstream.recommend.Interaction`, in file order, with the counts after cleaning.
UCI Online Retail's local times are read as UTC: the protocol's cut-offs are on the same
clock, and no offset is ever compared across datasets.
"""

from __future__ import annotations

import csv
import gzip
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from shopstream.core import CustomerId, ProductId
from shopstream.recommend.errors import InvalidDataset
from shopstream.recommend.interactions import Behaviour, Interaction

RETAIL_DIR = "uci-online-retail"
TAOBAO_DIR = "taobao-userbehavior-slice"

NON_PRODUCT_CODES = frozenset(
    {"POST", "D", "M", "C2", "DOT", "BANK CHARGES", "AMAZONFEE", "CRUK", "PADS", "B", "S"}
)
_DIGIT = re.compile(r"\d")
_TAOBAO_BEHAVIOURS = {
    "pv": Behaviour.VIEW,
    "fav": Behaviour.WISHLIST,
    "cart": Behaviour.CART,
    "buy": Behaviour.ORDER,
}


@dataclass(frozen=True, slots=True)
class Dataset:
    """A cleaned dataset: its interactions in file order and what cleaning left and dropped."""

    name: str
    interactions: tuple[Interaction, ...]
    counts: dict[str, int]


def is_product_code(code: str) -> bool:
    """Whether a StockCode is a product: not a listed non-product code, and has a digit.

    Examples:
        >>> [is_product_code(c) for c in ("85123A", "POST", "C2", "gift", "DCGS0076")]
        [True, False, False, False, True]
    """
    return code not in NON_PRODUCT_CODES and _DIGIT.search(code) is not None


def load_online_retail(data_dir: Path) -> Dataset:
    """UCI Online Retail (``by-day/*.csv.gz``): one order interaction per kept invoice line.

    Drops, in this order: rows without CustomerID, cancellations (InvoiceNo starting with
    ``C``), Quantity <= 0 or UnitPrice <= 0, non-product StockCodes. Customer ids are the
    integers the file writes as floats.
    """
    directory = data_dir / RETAIL_DIR / "by-day"
    files = sorted(directory.glob("*.csv.gz"))
    if not files:
        msg = f"no by-day/*.csv.gz files in {directory}"
        raise InvalidDataset(msg, field=str(directory))
    dropped: Counter[str] = Counter()
    kept: list[Interaction] = []
    moments: dict[str, float] = {}
    rows = 0
    for path, number, row in _retail_rows(files):
        rows += 1
        reason = _retail_drop_reason(row)
        if reason is not None:
            dropped[reason] += 1
            continue
        customer = _customer_id(row["CustomerID"], path, number)
        stamp = row["InvoiceDate"]
        at = moments.get(stamp)
        if at is None:
            at = moments[stamp] = _retail_time(stamp, path, number)
        kept.append(
            Interaction(
                customer_id=customer,
                product_id=ProductId(row["StockCode"]),
                behaviour=Behaviour.ORDER,
                at=at,
                order_id=row["InvoiceNo"],
            )
        )
    counts = {
        "rows_read": rows,
        "dropped_no_customer": dropped["no_customer"],
        "dropped_cancellation": dropped["cancellation"],
        "dropped_non_positive_quantity_or_price": dropped["non_positive"],
        "dropped_non_product_code": dropped["non_product"],
        "rows_kept": len(kept),
        "customers": len({i.customer_id for i in kept}),
        "products": len({i.product_id for i in kept}),
        "invoices": len({i.order_id for i in kept}),
    }
    return Dataset("retail", tuple(kept), counts)


def _retail_rows(files: list[Path]) -> Iterator[tuple[Path, int, dict[str, str]]]:
    for path in files:
        with gzip.open(path, "rt", newline="", encoding="utf-8") as handle:
            for number, row in enumerate(csv.DictReader(handle), start=2):
                yield path, number, row


def _retail_drop_reason(row: dict[str, str]) -> str | None:
    if not row["CustomerID"].strip():
        return "no_customer"
    if row["InvoiceNo"].startswith("C"):
        return "cancellation"
    if int(row["Quantity"]) <= 0 or float(row["UnitPrice"]) <= 0:
        return "non_positive"
    if not is_product_code(row["StockCode"]):
        return "non_product"
    return None


def _customer_id(raw: str, path: Path, number: int) -> CustomerId:
    value = float(raw)
    if not value.is_integer():
        msg = f"{path.name} line {number}: CustomerID must be an integer; got {raw!r}"
        raise InvalidDataset(msg, field="CustomerID")
    return CustomerId(str(int(value)))


def _retail_time(stamp: str, path: Path, number: int) -> float:
    try:
        moment = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        msg = f"{path.name} line {number}: InvoiceDate must be YYYY-MM-DD HH:MM:SS; got {stamp!r}"
        raise InvalidDataset(msg, field="InvoiceDate") from None
    return moment.timestamp()


def load_taobao(data_dir: Path) -> Dataset:
    """The Taobao UserBehavior slice: every row, in file (time) order, with its category."""
    path = data_dir / TAOBAO_DIR / "UserBehavior.csv.gz"
    if not path.is_file():
        msg = f"no UserBehavior.csv.gz in {path.parent}"
        raise InvalidDataset(msg, field=str(path))
    kept: list[Interaction] = []
    with gzip.open(path, "rt", newline="", encoding="utf-8") as handle:
        for number, row in enumerate(csv.reader(handle), start=1):
            if len(row) != 5 or row[3] not in _TAOBAO_BEHAVIOURS:
                msg = f"{path.name} line {number}: expected user,item,category,pv|fav|cart|buy,epoch; got {row!r}"
                raise InvalidDataset(msg, field=f"line {number}")
            user, item, category, behaviour, stamp = row
            kept.append(
                Interaction(
                    customer_id=CustomerId(user),
                    product_id=ProductId(item),
                    behaviour=_TAOBAO_BEHAVIOURS[behaviour],
                    at=float(stamp),
                    category=category,
                )
            )
    kinds = Counter(i.behaviour for i in kept)
    counts = {
        "rows_read": len(kept),
        "rows_kept": len(kept),
        "users": len({i.customer_id for i in kept}),
        "items": len({i.product_id for i in kept}),
        "categories": len({i.category for i in kept}),
        **{f"behaviour_{b.value}": kinds[b] for b in Behaviour},
    }
    return Dataset("taobao", tuple(kept), counts)
