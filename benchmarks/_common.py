"""Helpers shared by the benchmark scripts: results JSON, percentiles and realistic events.

Nothing here is timed; the scripts time their own loops.
"""

from __future__ import annotations

import json
import os
import platform
import random
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from shopstream.testing import ServerProcess

HERE = Path(__file__).resolve().parent


@dataclass
class BenchServer(ServerProcess):
    """The app as ``shopstream serve`` runs it, from ``_server.py`` (adds ``/bench/empty``),
    pinned to ``cpu`` when given."""

    cpu: int | None = None

    def command(self) -> list[str]:
        pin = ["--cpu", str(self.cpu)] if self.cpu is not None else []
        return [
            sys.executable, str(HERE / "_server.py"),
            "--port", str(self.port), "--data-dir", str(self.data_dir), *pin,
        ]  # fmt: skip

    def cpu_seconds(self) -> float:
        """User + system CPU the server has used so far: all its threads, and its live child
        processes' (collector processes, the text encoder)."""
        assert self.process is not None
        return sum(process_cpu_seconds(pid) for pid in process_tree(self.process.pid))


def process_tree(pid: int) -> list[int]:
    """``pid`` and its live descendants (Linux ``/proc``; just ``pid`` elsewhere)."""
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo += [int(child) for child in task.read_text().split()]
            except OSError:
                continue
    return tree


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU a running process has used (Linux ``/proc``; 0.0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu() -> tuple[float, float]:
    """CPU seconds the whole machine has been busy, and stolen by the hypervisor, so far."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    ticks = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / ticks, steal / ticks


RESULTS = HERE / "results"

# -- results --------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=HERE,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": model,
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "commit": commit,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def write_result(name: str, figures: dict[str, Any], out: Path | None = None) -> Path:
    """Write ``figures`` with the machine they were measured on to ``results/<name>.json``.

    Quick runs (CI's smoke runs) go to ``<name>.quick.json``, which git ignores, so they never
    replace the committed figures of a full run.
    """
    quick = "quick" if figures.get("quick") else ""
    path = out or RESULTS / f"{name}{'.' + quick if quick else ''}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(
        json.dumps({"benchmark": name, "machine": machine(), **figures}, indent=2) + "\n"
    )
    tmp.replace(path)
    return path


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (0-100) by linear interpolation; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def table(rows: list[list[str]]) -> str:
    """Rows as aligned text: the first column left-aligned, the others right-aligned."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


# -- realistic e-commerce events ------------------------------------------------------------

_PRODUCTS = [
    ("507f1f77bcf86cd799439011", "LN-SHIRT-M-WHT", "Linen Shirt", "Northwind", "Apparel/Shirts", 49.9),
    ("507f1f77bcf86cd799439012", "CH-PANT-32-NVY", "Chino Trousers", "Northwind", "Apparel/Trousers", 59.0),
    ("507f1f77bcf86cd799439013", "RN-SHOE-42-BLK", "Trail Running Shoe", "Fjellspor", "Footwear/Running", 129.95),
    ("507f1f77bcf86cd799439014", "WL-SOCK-3PK", "Merino Socks, 3 pack", "Fjellspor", "Accessories/Socks", 24.5),
    ("507f1f77bcf86cd799439015", "CF-BEAN-1KG", "Espresso Beans 1 kg", "Casa Tostada", "Grocery/Coffee", 21.99),
    ("507f1f77bcf86cd799439016", "KT-PAN-28", "Cast Iron Pan 28 cm", "Ferro", "Home/Cookware", 74.0),
    ("507f1f77bcf86cd799439017", "BK-NOVEL-0412", "The Quiet Harbour", "Lantern Press", "Books/Fiction", 16.99),
    ("507f1f77bcf86cd799439018", "HP-ANC-200", "Noise-cancelling Headphones", "Sonora", "Electronics/Audio", 199.0),
]  # fmt: skip
_USER_AGENTS = [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
]
_TIMEZONES = ["America/New_York", "America/Chicago", "Europe/Lisbon", "Europe/Berlin"]
_REFERRERS = [
    "https://www.google.com/",
    "https://www.instagram.com/",
    "",
    "https://shop.example.com/",
]
_SHOP = "https://shop.example.com"
_FIRST = ["Ana", "Ben", "Chloe", "Dmitri", "Emeka", "Fatima", "Grace", "Hiro"]
_LAST = ["Silva", "Okafor", "Müller", "Tanaka", "Novak", "Haddad", "Walsh", "Costa"]


def _slug(name: str) -> str:
    return name.lower().replace(",", "").replace(" ", "-")


class EventFactory:
    """Segment messages as analytics.js (web) and analytics-swift (app) send them.

    The mix: page 30%, Product Viewed 30%, Product Added 15%, identify 10%, Order Completed
    with 1-3 products 5%, Products Searched 5%, Cart Viewed 5%; a quarter come from the app.
    Each event is 600-1,200 bytes of JSON, 800 on average of JSON. ``message_id`` fills ``messageId``, so a load
    generator can make every sent event unique by rewriting one placeholder.
    """

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.start = datetime(2025, 11, 20, 18, 30, tzinfo=UTC)
        self._i = 0

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _now(self) -> str:
        self._i += 1
        moment = self.start + timedelta(milliseconds=137 * self._i)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def _product(self, position: int | None = None) -> dict[str, Any]:
        pid, sku, name, _, category, price = self.rng.choice(_PRODUCTS)
        product: dict[str, Any] = {
            "product_id": pid,
            "sku": sku,
            "name": name,
            "category": category,
            "price": price,
            "quantity": self.rng.choice((1, 1, 1, 2)),
        }
        if position is not None:
            product["position"] = position
        return product

    def _web_context(self, path: str, title: str) -> dict[str, Any]:
        search = self.rng.choice(("", "", "", "?utm_source=newsletter"))
        return {
            "library": {"name": "analytics.js", "version": "npm:next-1.70.0"},
            "locale": self.rng.choice(("en-US", "en-GB", "pt-PT", "de-DE")),
            "page": {
                "path": path,
                "referrer": self.rng.choice(_REFERRERS),
                "search": search,
                "title": title,
                "url": f"{_SHOP}{path}{search}",
            },
            "userAgent": self.rng.choice(_USER_AGENTS),
            "timezone": self.rng.choice(_TIMEZONES),
        }

    def _app_context(self, device_id: str) -> dict[str, Any]:
        return {
            "app": {"name": "Shop", "version": "5.2.1", "build": "521", "namespace": "com.example.shop"},
            "device": {"id": device_id, "manufacturer": "Apple", "model": "iPhone15,2", "type": "ios"},
            "library": {"name": "analytics-swift", "version": "1.5.11"},
            "locale": "en-US",
            "network": {"wifi": True, "cellular": False},
            "os": {"name": "iOS", "version": "17.4.1"},
            "screen": {"width": 393, "height": 852, "density": 3},
            "timezone": self.rng.choice(_TIMEZONES),
        }  # fmt: skip

    def event(self, message_id: str) -> dict[str, Any]:
        """One message; its kind is drawn from the mix."""
        app = self.rng.random() < 0.25
        anonymous_id = self._uuid()
        user_id = f"cust_{self.rng.randrange(10**6):06d}" if self.rng.random() < 0.4 else None
        roll = self.rng.random()
        product = self._product()
        path, title = f"/p/{_slug(product['name'])}", f"{product['name']} | Example Shop"
        message: dict[str, Any] = {"messageId": message_id, "anonymousId": anonymous_id}
        if user_id:
            message["userId"] = user_id
        if roll < 0.30:
            kind = "screen" if app else "page"
            message.update(
                type=kind, name="Product Detail", properties={"path": path, "title": title}
            )
            if not app:
                message["properties"]["url"] = f"{_SHOP}{path}"
        elif roll < 0.60:
            message.update(
                type="track", event="Product Viewed", properties={**product, "currency": "USD"}
            )
        elif roll < 0.75:
            cart = f"cart_{self.rng.getrandbits(40):010x}"
            message.update(
                type="track", event="Product Added", properties={**product, "cart_id": cart}
            )
        elif roll < 0.85:
            first, last = self.rng.choice(_FIRST), self.rng.choice(_LAST)
            traits: dict[str, Any] = {
                "email": f"{first}.{last}{self.rng.randrange(100)}@Example.com",
                "firstName": first,
                "lastName": last,
                "createdAt": "2023-02-11T09:12:40.000Z",
            }
            if self.rng.random() < 0.5:
                traits["phone"] = f"(415) 555-{self.rng.randrange(10000):04d}"
            message.update(
                type="identify",
                userId=user_id or f"cust_{self.rng.randrange(10**6):06d}",
                traits=traits,
            )
        elif roll < 0.90:
            products = [self._product() for _ in range(self.rng.randint(1, 3))]
            subtotal = round(sum(p["price"] * p["quantity"] for p in products), 2)
            message.update(
                type="track",
                event="Order Completed",
                properties={
                    "order_id": f"ORD-{self.rng.randrange(10**8):08d}",
                    "total": round(subtotal + 4.95, 2),
                    "revenue": subtotal,
                    "shipping": 4.95,
                    "tax": round(subtotal * 0.08, 2),
                    "currency": "USD",
                    "products": [
                        {k: p[k] for k in ("product_id", "sku", "name", "price", "quantity")}
                        for p in products
                    ],
                },
            )
        elif roll < 0.95:
            query = self.rng.choice(("linen shirt", "running shoes", "espresso", "headphones"))
            message.update(type="track", event="Products Searched", properties={"query": query})
        else:
            cart = f"cart_{self.rng.getrandbits(40):010x}"
            items = [self._product(position=i + 1) for i in range(self.rng.randint(1, 2))]
            message.update(
                type="track", event="Cart Viewed", properties={"cart_id": cart, "products": items}
            )
        if app:
            message["context"] = self._app_context(anonymous_id)
        else:
            message["context"] = self._web_context(path, title)
        message["timestamp"] = self._now()
        message["integrations"] = {}
        return message

    def batch(self, size: int, message_id: str = "{i}") -> list[dict[str, Any]]:
        """``size`` events; ``message_id`` is formatted with the event's index ``i``."""
        return [self.event(message_id.format(i=i)) for i in range(size)]
