"""Simulated shoppers: who they are to the retailer, and the hidden tastes that drive them.

What a shopper reveals (ids, contact details, consent) reaches Shopstream only through the
events they cause. What stays hidden is their :class:`Taste`: how much they care for each
category and brand and how much a high price puts them off. The simulator chooses what they
look at and buy with it, and so does :class:`~shopstream.simulate.response.Responder` when
they are shown an offer, so a recommender or bandit that learns from the events is learning
this taste back.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import NewType

from shopstream.catalog import CategoryPath, Product
from shopstream.core import StoreId
from shopstream.events import Channel
from shopstream.simulate.catalogue import Catalogue
from shopstream.simulate.stores import SITES

ShopperId = NewType("ShopperId", str)
"""The simulator's own key for a shopper; never sent in an event."""

_FLOOR = 0.05  # keeps the log of a category the shopper never looks at finite
_BRAND_WEIGHT = 1.0

_FIRST_NAMES = (
    "Ana", "Ben", "Chloe", "Daniel", "Elena", "Farah", "Gabriel", "Hannah", "Isaac", "Jade",
    "Kenji", "Lucia", "Marcus", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Samuel", "Tara",
    "Umar", "Violet", "Wei", "Ximena", "Yusuf", "Zoe", "Aaliyah", "Bruno", "Camila", "Diego",
)  # fmt: skip
_LAST_NAMES = (
    "Silva", "Johnson", "Nguyen", "Garcia", "Smith", "Okafor", "Kim", "Patel", "Rossi", "Brown",
    "Cohen", "Martinez", "Walker", "Sato", "Haddad", "Murphy", "Lopez", "Novak", "Reyes", "Chen",
    "Wright", "Ali", "Moreau", "Davis", "Hughes", "Singh", "Fischer", "Ortiz", "Young", "Baker",
)  # fmt: skip
_USER_AGENTS = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
)  # fmt: skip
_DEVICES = {
    "ios": (("Apple", "iPhone15,2", "17.4"), ("Apple", "iPhone14,7", "16.7")),
    "android": (("Google", "Pixel 8", "14"), ("samsung", "SM-S911B", "14"), ("motorola", "moto g54", "13")),
}  # fmt: skip


class Platform(StrEnum):
    IOS = "ios"
    ANDROID = "android"


@dataclass(frozen=True, slots=True)
class Taste:
    """A shopper's hidden preferences.

    ``categories`` shares sum to 1 over the catalogue's categories; ``brands`` holds the
    brands the shopper likes, each in (0, 1]; ``price_sensitivity`` weighs the log of a
    price against its category's reference price.

    Examples:
        >>> from shopstream.core import ProductId
        >>> kettles, mugs = ("Home", "Kitchen", "Kettles"), ("Home", "Kitchen", "Mugs")
        >>> taste = Taste({kettles: 0.9, mugs: 0.1}, {"Kiln": 1.0}, price_sensitivity=1.0)
        >>> kettle = Product(ProductId("k"), "Glass kettle", kettles, brand="Kiln", price=40.0)
        >>> mug = Product(ProductId("m"), "Stoneware mug", mugs, brand="Oakmoor", price=10.0)
        >>> taste.affinity(kettle, 40.0) > taste.affinity(mug, 10.0)
        True
        >>> taste.affinity(kettle, 40.0, price=20.0) > taste.affinity(kettle, 40.0)
        True
    """

    categories: Mapping[CategoryPath, float]
    brands: Mapping[str, float]
    price_sensitivity: float

    def affinity(
        self, product: Product, reference_price: float, *, price: float | None = None
    ) -> float:
        """How much the shopper likes a product at a price (its own price by default).

        0 is the pull of an average category at its reference price; a favourite category
        adds up to about 2.5, a category the shopper never looks at takes off about 3.
        """
        share = self.categories.get(product.category, 0.0)
        utility = math.log(len(self.categories) * share + _FLOOR)
        if product.brand:
            utility += _BRAND_WEIGHT * self.brands.get(product.brand, 0.0)
        paid = product.price if price is None else price
        if paid and reference_price > 0:
            utility -= self.price_sensitivity * math.log(paid / reference_price)
        return utility


@dataclass(frozen=True, slots=True)
class AppInstall:
    """The retailer's app on a shopper's phone: its install id and device."""

    anonymous_id: str
    device_id: str
    platform: Platform
    manufacturer: str
    model: str
    os_version: str


@dataclass(frozen=True, slots=True)
class Shopper:
    """One simulated shopper.

    Known shoppers (``user_id`` set) have an account with an email, most a loyalty card,
    some a phone; anonymous ones only ever show their cookie, app install and card token.
    ``channels`` weighs the shopper's habits over ``web``, ``app`` and ``store``;
    ``consent`` holds their choice per purpose (``personalization``, ``email``, ``sms``,
    ``push``, ``ads``), which they reveal when they sign in or answer the cookie banner.
    """

    id: ShopperId
    taste: Taste
    home_store: StoreId
    timezone: str
    sessions_per_day: float
    channels: Mapping[Channel, float]
    consent: Mapping[str, bool]
    web_anonymous_id: str
    user_agent: str
    card_token: str
    app: AppInstall | None = None
    user_id: str | None = None
    email: str | None = None
    phone: str | None = None
    loyalty_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None

    @property
    def known(self) -> bool:
        return self.user_id is not None

    def traits(self) -> dict[str, object]:
        """What the shopper's account says about them, as ``identify`` sends it."""
        traits: dict[str, object] = {
            key: value
            for key, value in (
                ("email", self.email),
                ("phone", self.phone),
                ("loyalty_id", self.loyalty_id),
                ("first_name", self.first_name),
                ("last_name", self.last_name),
            )
            if value is not None
        }
        traits["consent"] = dict(self.consent)
        return traits


def generate_shoppers(
    catalogue: Catalogue, count: int = 500, *, seed: int | None = None, known: float = 0.6
) -> tuple[Shopper, ...]:
    """Draw shoppers for a catalogue.

    Args:
        catalogue: where they shop; home stores and tastes come from it.
        count: how many shoppers.
        seed: the same seed (and catalogue) gives the same shoppers.
        known: the share of shoppers with an account.

    Raises:
        ValueError: ``count`` is negative, ``known`` is outside [0, 1], or the catalogue
            has no store.
    """
    if count < 0:
        msg = f"count must be >= 0; got {count}"
        raise ValueError(msg)
    if not 0.0 <= known <= 1.0:
        msg = f"known must be in [0, 1]; got {known}"
        raise ValueError(msg)
    if not catalogue.stores:
        msg = "the catalogue must have at least one store (the shoppers' home stores)"
        raise ValueError(msg)
    rng = random.Random(seed)
    brands_by_department: dict[str, set[str]] = {}
    for product in catalogue.products:
        if product.category and product.brand:
            brands_by_department.setdefault(product.category[0], set()).add(product.brand)
    area_codes = {site.store_id: site.area_code for site in SITES}
    store_weights = [1.5] + [1.0] * (len(catalogue.stores) - 1)
    shoppers = []
    for index in range(count):
        store = rng.choices(catalogue.stores, weights=store_weights)[0]
        is_known = rng.random() < known
        app = _app(rng) if rng.random() < (0.55 if is_known else 0.15) else None
        habits = {
            Channel.WEB: rng.gammavariate(2.0, 1.0),
            Channel.APP: rng.gammavariate(2.0, 1.0) if app else 0.0,
            Channel.STORE: rng.gammavariate(1.2, 1.0),
        }
        total = sum(habits.values())
        consent = {
            "personalization": rng.random() < 0.92,
            "ads": rng.random() < 0.5,
            "push": app is not None and rng.random() < 0.55,
            "email": False,
            "sms": False,
        }
        shopper = Shopper(
            id=ShopperId(f"shopper-{index + 1:06d}"),
            taste=_taste(rng, catalogue.categories, brands_by_department),
            home_store=store.id,
            timezone=store.timezone,
            sessions_per_day=min(6.0, rng.lognormvariate(math.log(0.3), 0.9)),
            channels={channel: weight / total for channel, weight in habits.items()},
            consent=consent,
            web_anonymous_id=_uuid(rng),
            user_agent=rng.choice(_USER_AGENTS),
            card_token=f"tok_{rng.getrandbits(96):024x}",
            app=app,
        )
        if is_known:
            shopper = _with_account(rng, shopper, index, area_codes.get(store.id, "415"))
        shoppers.append(shopper)
    return tuple(shoppers)


def _with_account(rng: random.Random, shopper: Shopper, index: int, area_code: str) -> Shopper:
    first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
    has_phone = rng.random() < 0.5
    return replace(
        shopper,
        consent={
            **shopper.consent,
            "email": rng.random() < 0.6,
            "sms": has_phone and rng.random() < 0.35,
        },
        user_id=f"u{index + 1:06d}",
        email=f"{first}.{last}{index + 1}@example.com".lower(),
        phone=f"+1{area_code}{555 + index // 10_000}{index % 10_000:04d}" if has_phone else None,
        loyalty_id=f"L{10_000_000 + index + 1}" if rng.random() < 0.7 else None,
        first_name=first,
        last_name=last,
    )


def _taste(
    rng: random.Random,
    categories: Sequence[CategoryPath],
    brands_by_department: Mapping[str, set[str]],
) -> Taste:
    """Few departments, and few categories within them: Dirichlet shares at small alphas."""
    departments = sorted({path[0] if path else "" for path in categories})
    department_share = dict(zip(departments, _dirichlet(rng, len(departments), 0.4), strict=True))
    shares: dict[CategoryPath, float] = {}
    for department in departments:
        members = [path for path in categories if (path[0] if path else "") == department]
        for path, share in zip(members, _dirichlet(rng, len(members), 0.8), strict=True):
            shares[path] = department_share[department] * share
    liked: list[str] = []
    for department in sorted(departments, key=lambda d: -department_share[d])[:2]:
        brands = sorted(brands_by_department.get(department, ()))
        liked.extend(rng.sample(brands, k=min(len(brands), rng.randint(1, 2))))
    return Taste(
        categories=shares,
        brands={brand: rng.uniform(0.4, 1.0) for brand in liked},
        price_sensitivity=rng.lognormvariate(0.0, 0.5),
    )


def _dirichlet(rng: random.Random, n: int, alpha: float) -> list[float]:
    draws = [rng.gammavariate(alpha, 1.0) + 1e-12 for _ in range(n)]
    total = sum(draws)
    return [draw / total for draw in draws]


def _app(rng: random.Random) -> AppInstall:
    platform = Platform.IOS if rng.random() < 0.55 else Platform.ANDROID
    manufacturer, model, os_version = rng.choice(_DEVICES[platform])
    device_id = _uuid(rng).upper() if platform is Platform.IOS else f"{rng.getrandbits(64):016x}"
    return AppInstall(_uuid(rng), device_id, platform, manufacturer, model, os_version)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))
