"""``shopstream demo``: the engine, simulated (or replayed) shoppers and the pages, at once.

Everything runs on the embedded default in one process: the API and pages are served by
uvicorn, and a feeder thread seeds the simulated retailer (catalogue, stores with zones,
stock, associate accounts) and then sends the shoppers' events to the collector over HTTP,
exactly as SDKs would, so the demo exercises the same path as production traffic.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml

from shopstream.api.associates import hash_pin
from shopstream.catalog import product_to_dict, store_to_dict
from shopstream.core import utcnow
from shopstream.sender import Sender
from shopstream.simulate import (
    Catalogue,
    Simulator,
    generate_catalogue,
    generate_shoppers,
    replay_events,
)

logger = logging.getLogger(__name__)

SEED = 7


@dataclass(frozen=True, slots=True)
class DemoAccount:
    associate_id: str
    name: str
    store_id: str
    pin: str


def associates(catalogue: Catalogue, data_dir: Path) -> tuple[Path, list[DemoAccount]]:
    """One associate per store, with PINs made once and kept in the data dir."""
    accounts_path = data_dir / "demo-associates.json"
    if accounts_path.exists():
        accounts = [DemoAccount(**a) for a in json.loads(accounts_path.read_text())]
    else:
        accounts = [
            DemoAccount(
                f"a-{store.id}",
                f"Associate at {store.name}",
                store.id,
                f"{secrets.randbelow(10**6):06d}",
            )
            for store in catalogue.stores
        ]
        data_dir.mkdir(parents=True, exist_ok=True)
        accounts_path.write_text(json.dumps([asdict(a) for a in accounts], indent=2))
        accounts_path.chmod(0o600)
    file = data_dir / "demo-associates.yaml"
    file.write_text(
        yaml.safe_dump(
            {
                "associates": [
                    {
                        "id": a.associate_id,
                        "name": a.name,
                        "store_id": a.store_id,
                        "pin_hash": hash_pin(a.pin),
                    }
                    for a in accounts
                ]
            }
        )
    )
    return file, accounts


def seed(url: str, admin_key: str, catalogue: Catalogue) -> bool:
    """Load the simulated retailer unless the engine already has products; True if loaded."""
    headers = {"Authorization": f"Bearer {admin_key}"}
    with httpx.Client(base_url=url, headers=headers, timeout=60.0) as http:
        if http.get("/v1/products", params={"limit": 1}).json()["products"]:
            return False
        products = [product_to_dict(p) for p in catalogue.products]
        for start in range(0, len(products), 500):
            http.put(
                "/v1/products", json={"products": products[start : start + 500]}
            ).raise_for_status()
        stores = [store_to_dict(s) for s in catalogue.stores]
        for store in stores:
            store["zones"] = [
                {**z, "categories": [" > ".join(c) for c in z["categories"]]}
                for z in store["zones"]
            ]
        http.put("/v1/stores", json={"stores": stores}).raise_for_status()
        levels = [
            {"productId": p, "storeId": None if loc == "online" else loc, "quantity": q}
            for loc, p, q in catalogue.stock
        ]
        http.put("/v1/inventory", json={"levels": levels}).raise_for_status()
    return True


def simulated(
    catalogue: Catalogue, speed: float, shoppers: int
) -> Iterator[tuple[datetime, dict[str, Any]]]:
    """Simulated shoppers from now on, due in real time; each event carries ``sentAt`` = its
    simulated time, so the collector's skew correction puts it on the real clock."""
    crowd = generate_shoppers(catalogue, shoppers, seed=SEED)
    start = utcnow()
    for due, raw in Simulator(SEED, catalogue, crowd, start, speed=speed).events():
        yield due, {**raw, "sentAt": raw["timestamp"]}


def wait_ready(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/readyz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    msg = f"the server at {url} did not become ready in {timeout:.0f} s"
    raise TimeoutError(msg)


@dataclass
class Feeder:
    """Seeds the retailer, then sends traffic until stopped (a daemon thread)."""

    url: str
    write_key: str
    admin_key: str
    catalogue: Catalogue
    speed: float
    shoppers: int = 400
    replay: Path | None = None

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._run, name="demo-feeder", daemon=True)
        thread.start()
        return thread

    def _run(self) -> None:
        try:
            wait_ready(self.url)
            if seed(self.url, self.admin_key, self.catalogue):
                logger.info("loaded the simulated retailer")
            with Sender(self.url, self.write_key) as sender:
                sender.play(self._traffic(), speed=1.0, flush_seconds=0.25)
        except Exception:
            logger.exception("the demo feeder stopped")

    def _traffic(self) -> Iterator[tuple[datetime, dict[str, Any]]]:
        if self.replay is None:
            yield from simulated(self.catalogue, self.speed, self.shoppers)
            return
        first: datetime | None = None
        start = utcnow()
        for moment, raw in replay_events(self.replay):
            first = first or moment
            yield start + timedelta(seconds=(moment - first).total_seconds() / self.speed), raw


def demo_catalogue() -> Catalogue:
    return generate_catalogue(SEED)
