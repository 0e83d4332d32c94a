"""What shoppers do in one visit, written as the events their devices send.

:class:`Behaviour` plays one visit at a time and returns its events with their times:

- online, on the web (``page`` calls, analytics.js) or in the app (``screen`` calls,
  analytics-ios or analytics-android): see :mod:`~shopstream.simulate.online`;
- in a store, through its beacons (``context.channel`` ``store``) and tills (``pos``): see
  :mod:`~shopstream.simulate.instore`;
- from the retailer's sends and ads: ``Email Opened`` and ``Email Link Clicked``,
  ``Push Opened`` and ``Ad Clicked``, each click leading into an online session;
- from the stock system: ``Inventory Updated`` when a location is restocked.

Every choice follows the shopper's hidden taste: categories are picked by their shares,
products by a softmax of their affinity, and a view becomes an add to cart with probability
``logistic(bias + affinity)``; a send is clicked with the probability
:func:`~shopstream.simulate.response.acceptance` gives, the model offers are answered by.
Stock is tracked from the catalogue's opening levels: nothing out of stock is added or sold.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from shopstream.catalog import ONLINE, Product, Store
from shopstream.core import StoreId
from shopstream.events import Channel, EventName
from shopstream.simulate import sdks
from shopstream.simulate.campaigns import Send
from shopstream.simulate.catalogue import Catalogue
from shopstream.simulate.instore import walk
from shopstream.simulate.online import browse, slug
from shopstream.simulate.response import acceptance
from shopstream.simulate.sdks import SITE
from shopstream.simulate.shop import Shop
from shopstream.simulate.shoppers import Shopper
from shopstream.simulate.visit import TimedEvent, Visit

CLICK_BIAS = -1.5
"""The log-odds of clicking through a send featuring one product of average affinity."""


class Behaviour:
    """Plays shoppers' visits against a catalogue.

    Args:
        catalogue: what there is to see and buy, and the opening stock.
        seed: the same seed, catalogue and sequence of calls give the same events.

    Examples:
        >>> from datetime import UTC
        >>> from shopstream.simulate.catalogue import generate_catalogue
        >>> from shopstream.simulate.shoppers import generate_shoppers
        >>> catalogue = generate_catalogue(seed=3)
        >>> shopper = generate_shoppers(catalogue, 1, seed=3)[0]
        >>> behaviour = Behaviour(catalogue, seed=3)
        >>> events = behaviour.online(shopper, datetime(2026, 3, 3, 18, tzinfo=UTC))
        >>> [(raw["type"], raw.get("name") or raw.get("event")) for _, raw in events[:3]]
        [('page', 'Home'), ('track', 'Consent Updated'), ('track', 'Consent Updated')]
    """

    def __init__(self, catalogue: Catalogue, *, seed: int | None = None) -> None:
        self.catalogue = catalogue
        self._shop = Shop(catalogue, seed=seed)

    def online(
        self,
        shopper: Shopper,
        at: datetime,
        *,
        channel: Channel = Channel.WEB,
        landing: Product | None = None,
        campaign: Mapping[str, str] | None = None,
    ) -> list[TimedEvent]:
        """A web or app session, from the home page or from ``landing`` (a link's product).

        Args:
            shopper: who.
            at: when the session starts.
            channel: ``web`` or ``app``.
            landing: the product a link led to.
            campaign: the link's UTM fields, sent as ``context.campaign`` on the web.

        Raises:
            ValueError: ``channel`` is not web or app, or is app for a shopper without it.
        """
        if channel is Channel.WEB:
            sender = sdks.web(shopper, campaign=campaign)
        elif channel is Channel.APP:
            sender = sdks.app(shopper)
        else:
            msg = f"an online session is on web or app; got {channel}"
            raise ValueError(msg)
        if shopper.user_id and channel in self._shop.remember(shopper).signed_in:
            sender = sender.signed_in(shopper.user_id)
        visit = Visit(sender, at, self._shop.rng, web=channel is Channel.WEB)
        browse(self._shop, shopper, visit, channel=channel, landing=landing)
        return visit.events

    def store_visit(self, shopper: Shopper, at: datetime, store: Store) -> list[TimedEvent]:
        """A walk through ``store``: its beacons' events and its till's sale, if any."""
        return walk(self._shop, shopper, at, store)

    def restock(self, location: StoreId, at: datetime) -> list[TimedEvent]:
        """The morning delivery: ``Inventory Updated`` back to the opening level for each
        product sold at ``location`` (a store id, or ``"online"``) since the last one."""
        visit = Visit(sdks.inventory_feed(location), at, self._shop.rng)
        for product_id, level in self._shop.restock(location):
            where = {"online": True} if location == ONLINE else {"store_id": location}
            visit.track(
                EventName.INVENTORY_UPDATED, {**where, "product_id": product_id, "quantity": level}
            )
        return visit.events

    def ad(self, shopper: Shopper, at: datetime) -> list[TimedEvent]:
        """A click on a shopping ad for a product the shopper likes, then a web session."""
        shop = self._shop
        category = shop.category(shopper)
        product = shop.choose(shopper, self.catalogue.in_category(category))
        campaign = {"name": f"shopping-{slug(category[0])}", "source": "google", "medium": "cpc"}
        visit = Visit(sdks.ad_click(shopper, campaign), at, shop.rng, web=True)
        clicked = {
            "ad_id": f"ad-{product.id}",
            "campaign_id": campaign["name"],
            "network": "google",
            "product_id": product.id,
        }
        visit.track(EventName.AD_CLICKED, clicked)
        visit.wait(2.0)
        return visit.events + self.online(shopper, visit.at, landing=product, campaign=campaign)

    def email(self, shopper: Shopper, at: datetime, send: Send) -> list[TimedEvent]:
        """An opened newsletter; a click on a product (by taste) leads to a web session.

        Raises:
            ValueError: the shopper has no account to be emailed at.
        """
        shop = self._shop
        visit = Visit(sdks.email_service(shopper), at, shop.rng)
        base = {
            "campaign_id": send.campaign.id,
            "campaign_name": send.campaign.name,
            "email_id": send.id,
        }
        visit.track(EventName.EMAIL_OPENED, {**base, "subject": send.headline})
        clicks = acceptance(shopper.taste, send.products, self.catalogue, bias=CLICK_BIAS)
        if shop.rng.random() >= clicks:
            return visit.events
        visit.wait(20.0)
        product = shop.choose(shopper, send.products)
        utm = {"source": "newsletter", "medium": "email", "name": send.id}
        link = f"{SITE}/p/{product.id}?utm_source={utm['source']}&utm_medium={utm['medium']}&utm_campaign={send.id}"
        clicked = {**base, "link_url": link, "product_id": product.id}
        visit.track(EventName.EMAIL_LINK_CLICKED, clicked)
        visit.wait(2.0)
        return visit.events + self.online(shopper, visit.at, landing=product, campaign=utm)

    def push(self, shopper: Shopper, at: datetime, send: Send) -> list[TimedEvent]:
        """An opened push notification, then an app session on its product.

        Raises:
            ValueError: the shopper has not installed the app.
        """
        shop = self._shop
        visit = Visit(sdks.app(shopper, channel=Channel.PUSH), at, shop.rng)
        product = send.products[0]
        opened = {
            "campaign_id": send.campaign.id,
            "campaign_name": send.campaign.name,
            "push_id": send.id,
            "title": send.headline,
            "product_id": product.id,
        }
        visit.track(EventName.PUSH_OPENED, opened)
        visit.wait(1.0)
        return visit.events + self.online(shopper, visit.at, channel=Channel.APP, landing=product)
