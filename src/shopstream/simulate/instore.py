"""A walk through a store, as its beacons and tills report it.

The shopper enters (``Store Entered``), walks through a few zones chosen by how much of
their taste each zone holds (``Store Zone Entered``), perhaps picks up something they like
in each, pays at a till (``Order Completed`` from the POS gateway, with ``store_id``) and
leaves (``Store Exited``). Beacons report through the retailer's app, so they see only
shoppers who installed it and consented to personalization; the till reports every sale,
with the loyalty card, payment card token or e-receipt email the customer gave.
"""

from __future__ import annotations

from datetime import datetime

from shopstream.catalog import Store, Zone
from shopstream.core import ProductId
from shopstream.events import Channel, EventName
from shopstream.simulate import sdks
from shopstream.simulate.online import TAX
from shopstream.simulate.response import logistic
from shopstream.simulate.shop import EXPLORE, Shop
from shopstream.simulate.shoppers import Shopper
from shopstream.simulate.visit import TimedEvent, Visit

BUY_BIAS = -2.0
"""The log-odds of buying a product of average affinity picked up in a zone."""
_TILLS = 6


def walk(shop: Shop, shopper: Shopper, at: datetime, store: Store) -> list[TimedEvent]:
    """Play one store visit; the events are those its beacons and till send."""
    rng = shop.rng
    sender = None
    if shopper.app is not None and shopper.consent.get("personalization", False):
        sender = sdks.app(shopper, channel=Channel.STORE)
        if shopper.user_id and Channel.APP in shop.remember(shopper).signed_in:
            sender = sender.signed_in(shopper.user_id)
    visit = Visit(sender, at, rng)
    visit.track(EventName.STORE_ENTERED, {"store_id": store.id, "store_name": store.name})
    basket: dict[ProductId, int] = {}
    for zone in _zones(shop, shopper, store):
        visit.wait(150.0)
        entered = {"store_id": store.id, "zone_id": zone.id, "zone_name": zone.name}
        visit.track(EventName.STORE_ZONE_ENTERED, entered)
        carried = [p for p in shop.zone_products(store, zone) if shop.available(store.id, p.id) > 0]
        if carried:
            product = shop.choose(shopper, carried)
            buy = logistic(BUY_BIAS + shop.affinity(shopper, product))
            if product.id not in basket and rng.random() < buy:
                basket[product.id] = 1
    if basket:
        visit.wait(240.0)
        visit.events.append(_sale(shop, shopper, store, visit.at, basket))
    visit.wait(90.0)
    visit.track(EventName.STORE_EXITED, {"store_id": store.id})
    return visit.events


def _sale(
    shop: Shop, shopper: Shopper, store: Store, at: datetime, basket: dict[ProductId, int]
) -> TimedEvent:
    rng = shop.rng
    receipt = shop.next_receipt(store.id)
    traits: dict[str, str] = {}
    if shopper.loyalty_id and rng.random() < 0.85:
        traits["loyalty_id"] = shopper.loyalty_id
    if rng.random() < 0.85:
        traits["card_token"] = shopper.card_token
    if shopper.email and rng.random() < 0.25:
        traits["email"] = shopper.email
    shop.take(store.id, basket)
    revenue = shop.subtotal(basket)
    tax = round(revenue * TAX, 2)
    till = Visit(sdks.till(f"receipt-{receipt}", traits), at, rng)
    till.track(
        EventName.ORDER_COMPLETED,
        {
            "order_id": receipt,
            "affiliation": store.name,
            "store_id": store.id,
            "terminal_id": f"{store.id}-till-{1 + rng.randrange(_TILLS)}",
            "payment_method": "card" if "card_token" in traits else "cash",
            "total": round(revenue + tax, 2),
            "revenue": revenue,
            "tax": tax,
            "currency": shop.catalogue.currency,
            "products": shop.lines(basket),
        },
    )
    return till.events[0]


def _zones(shop: Shop, shopper: Shopper, store: Store) -> list[Zone]:
    """One to a few distinct zones, each as likely as the share of taste it holds."""
    if not store.zones:
        return []
    shares = shopper.taste.categories
    weights = [
        EXPLORE / len(store.zones) + sum(s for path, s in shares.items() if zone.depth_for(path))
        for zone in store.zones
    ]
    count = min(len(store.zones), 1 + int(shop.rng.expovariate(1 / 1.5)))
    chosen: list[Zone] = []
    while len(chosen) < count:
        zone = shop.rng.choices(store.zones, weights=weights)[0]
        if zone not in chosen:
            chosen.append(zone)
    return chosen
