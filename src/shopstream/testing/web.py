"""Test kit of the web apps: associates who can sign in, and a catalogue ready to load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shopstream.api.associates import hash_pin
from shopstream.catalog import ONLINE, product_to_dict, store_to_dict
from shopstream.simulate import Catalogue

WRITE_KEY = "wk_test"
SERVER_KEY = "sk_test"
ADMIN_KEY = "ak_test"
"""The keys :class:`~shopstream.testing.ServerProcess` and the web tests configure."""

ASSOCIATES: tuple[tuple[str, str, str, str], ...] = (
    ("a-100", "Dana Ortiz", "s-nyc", "4821"),
    ("a-200", "Lee Park", "s-chi", "1357"),
)
"""``(id, name, store_id, PIN)``: one associate in New York, one in Chicago."""


def write_associates(path: Path) -> Path:
    """Write :data:`ASSOCIATES` as an associates file (PINs hashed) and return its path."""
    lines = ["associates:"]
    for associate_id, name, store_id, pin in ASSOCIATES:
        lines += [
            f"  - id: {associate_id}",
            f"    name: {name}",
            f"    store_id: {store_id}",
            f"    pin_hash: '{hash_pin(pin)}'",
        ]
    path.write_text("\n".join(lines) + "\n")
    return path


def catalogue_bodies(catalogue: Catalogue) -> dict[str, dict[str, Any]]:
    """A simulated catalogue as the bodies of ``PUT /v1/products``, ``/v1/stores`` and
    ``/v1/inventory``, in the order to send them."""
    levels = [
        {"productId": pid, "quantity": qty, **({} if loc == ONLINE else {"storeId": loc})}
        for loc, pid, qty in catalogue.stock
    ]
    return {
        "/v1/products": {"products": [product_to_dict(p) for p in catalogue.products]},
        "/v1/stores": {"stores": [store_to_dict(s) for s in catalogue.stores]},
        "/v1/inventory": {"levels": levels},
    }
