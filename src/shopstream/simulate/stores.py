"""The simulated retailer's stores: real city sites, their formats and the zones they hold.

A flagship has a zone (a beacon range) per second-level category (``Home > Kitchen``,
``Fashion > Women``...); a standard store a zone per department; a compact store leaves
out the bulky departments. Zones hold category paths, so ``Catalog.zone_for`` finds the zone
of any product below them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from shopstream.catalog import CategoryPath, Store, Zone
from shopstream.core import StoreId


class StoreFormat(StrEnum):
    FLAGSHIP = "flagship"
    STANDARD = "standard"
    COMPACT = "compact"


@dataclass(frozen=True, slots=True)
class Site:
    """Where a store stands; ``area_code`` is the local telephone area of its shoppers."""

    store_id: StoreId
    name: str
    lat: float
    lon: float
    timezone: str
    format: StoreFormat
    area_code: str


# fmt: off
SITES: tuple[Site, ...] = (
    Site(StoreId("s-nyc"), "New York Herald Square", 40.7506, -73.9880, "America/New_York", StoreFormat.FLAGSHIP, "212"),
    Site(StoreId("s-chi"), "Chicago State Street", 41.8826, -87.6278, "America/Chicago", StoreFormat.STANDARD, "312"),
    Site(StoreId("s-lax"), "Los Angeles The Grove", 34.0721, -118.3575, "America/Los_Angeles", StoreFormat.STANDARD, "323"),
    Site(StoreId("s-den"), "Denver Cherry Creek", 39.7186, -104.9536, "America/Denver", StoreFormat.STANDARD, "303"),
    Site(StoreId("s-sea"), "Seattle Pike Street", 47.6101, -122.3421, "America/Los_Angeles", StoreFormat.COMPACT, "206"),
)
# fmt: on
"""Store sites in the order stores open: a catalogue of ``n`` stores has the first ``n``."""

_COMPACT_LEAVES_OUT = frozenset({("Home", "Furniture"), ("Garden",), ("Electronics", "TV & Video")})


def build_store(site: Site, categories: Sequence[CategoryPath]) -> Store:
    """The store of a site, with zones over the given leaf categories."""
    zones: dict[CategoryPath, list[CategoryPath]] = {}
    for leaf in categories:
        if site.format is StoreFormat.COMPACT and any(
            leaf[: len(out)] == out for out in _COMPACT_LEAVES_OUT
        ):
            continue
        held = leaf[:2] if site.format is StoreFormat.FLAGSHIP else leaf[:1]
        zones.setdefault(held, []).append(leaf)
    if site.format is StoreFormat.COMPACT:
        # Hold only the leaves the store carries, not whole departments.
        built = [_zone(held, tuple(leaves)) for held, leaves in zones.items()]
    else:
        built = [_zone(held, (held,)) for held in zones]
    return Store(
        id=site.store_id,
        name=site.name,
        lat=site.lat,
        lon=site.lon,
        timezone=site.timezone,
        zones=tuple(built),
    )


def _zone(held: CategoryPath, categories: tuple[CategoryPath, ...]) -> Zone:
    slug = "-".join(part.lower().replace(" & ", "-").replace(" ", "-") for part in held)
    return Zone(id=f"z-{slug}", name=" > ".join(held), categories=categories)
