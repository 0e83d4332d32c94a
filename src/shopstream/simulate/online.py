"""An online session, on the web or in the app, as the storefront's tracking reports it.

The shopper lands on the home page (or on a product, from a link), answers the cookie banner
on their first web visit (``Consent Updated``), then takes a few steps: a category page
(``Product List Viewed``), a search (``Products Searched`` and its results), a product
from what is shown (``Product Clicked``, ``Product Viewed``; then perhaps ``Product Added``
or ``Product Added to Wishlist``), a look at the cart (``Cart Viewed``, perhaps ``Product
Removed``). Known shoppers may sign in (``identify``). With something in the cart they check
out (``Checkout Started``) and mostly order (``Order Completed``), or abandon it: carts last
the session, so an order holds exactly what was added, net of removals, in that session.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote_plus

from shopstream.catalog import ONLINE, CategoryPath, Product
from shopstream.core import ProductId
from shopstream.events import Channel, EventName
from shopstream.simulate.response import logistic
from shopstream.simulate.shop import Memory, Shop
from shopstream.simulate.shoppers import Shopper
from shopstream.simulate.visit import Visit, product_properties

ADD_BIAS = -3.5
"""The log-odds of adding a product of average affinity to the cart on viewing it."""
SHIPPING = 5.99
FREE_SHIPPING_FROM = 50.0
TAX = 0.08
_LIST_SIZE = 12


def browse(
    shop: Shop, shopper: Shopper, visit: Visit, *, channel: Channel, landing: Product | None
) -> None:
    """Play one web or app session into ``visit``."""
    _Session(shop, shopper, visit, channel).play(landing)


class _Session:
    __slots__ = ("cart", "channel", "memory", "rng", "shop", "shopper", "visit")

    def __init__(self, shop: Shop, shopper: Shopper, visit: Visit, channel: Channel) -> None:
        self.shop = shop
        self.rng = shop.rng
        self.shopper = shopper
        self.visit = visit
        self.channel = channel
        self.memory: Memory = shop.remember(shopper)
        self.cart: dict[ProductId, int] = {}

    def play(self, landing: Product | None) -> None:
        shopper, visit, rng = self.shopper, self.visit, self.rng
        if self.channel is Channel.WEB and not self.memory.answered_banner:
            visit.view("Home", "/", "Home", {})
            for purpose in ("personalization", "ads"):
                granted = shopper.consent.get(purpose, False)
                visit.track(EventName.CONSENT_UPDATED, {"purpose": purpose, "granted": granted})
            self.memory.answered_banner = True
        shown: Sequence[Product] = ()
        if landing is not None:
            self._view_product(landing)
            category = landing.category
        else:
            if not visit.events:
                visit.view("Home", "/", "Home", {})
            category = self.shop.category(shopper)
        sign_in_at = -1
        if shopper.user_id and self.channel not in self.memory.signed_in and rng.random() < 0.4:
            sign_in_at = rng.randrange(3)
        for step in range(1 + min(30, int(rng.expovariate(1 / 5)))):
            visit.wait(25.0)
            if step == sign_in_at:
                self._sign_in()
            roll = rng.random()
            if roll < 0.1:
                category = self.shop.category(shopper)
            if roll < 0.15:
                shown = self._search(category)
            elif roll < 0.35 or not shown:
                shown = self._list(category)
            elif roll < 0.42 and self.cart:
                self._review_cart()
            else:
                product = self.shop.choose(shopper, shown)
                clicked = {**product_properties(product), "position": shown.index(product) + 1}
                visit.track(EventName.PRODUCT_CLICKED, clicked)
                self._view_product(product)
        if self.cart and rng.random() < 0.5:
            self._check_out()

    def _view_product(self, product: Product) -> None:
        visit, rng = self.visit, self.rng
        visit.view("Product Detail", f"/p/{product.id}", product.name, {"product_id": product.id})
        currency = self.shop.catalogue.currency
        visit.track(EventName.PRODUCT_VIEWED, {**product_properties(product), "currency": currency})
        affinity = self.shop.affinity(self.shopper, product)
        visit.wait(40.0)
        quantity = rng.randint(2, 3) if (product.price or 0.0) < 25 and rng.random() < 0.2 else 1
        if rng.random() < logistic(ADD_BIAS + affinity):
            left = self.shop.available(ONLINE, product.id) - self.cart.get(product.id, 0)
            if left >= quantity:
                self.cart[product.id] = self.cart.get(product.id, 0) + quantity
                added = {**product_properties(product), "quantity": quantity}
                visit.track(EventName.PRODUCT_ADDED, added)
        elif product.id not in self.memory.wishlist and rng.random() < logistic(
            ADD_BIAS - 0.5 + affinity
        ):
            self.memory.wishlist.append(product.id)
            wished = {**product_properties(product), "wishlist_id": "default"}
            visit.track(EventName.PRODUCT_ADDED_TO_WISHLIST, wished)

    def _search(self, category: CategoryPath) -> Sequence[Product]:
        members = self.shop.catalogue.in_category(category)
        pick = self.shop.choose(self.shopper, members)
        leaf = category[-1] if category else pick.name
        roll = self.rng.random()
        if roll < 0.4 or not pick.brand:
            query, found = leaf.lower(), members
        elif roll < 0.7:
            query = f"{pick.brand} {leaf}".lower()
            found = tuple(p for p in members if p.brand == pick.brand)
        else:
            query = pick.name.lower()
            found = (pick, *(p for p in members if p is not pick))
        results = tuple(found[:_LIST_SIZE])
        path = f"/search?q={quote_plus(query)}"
        self.visit.view("Search Results", path, f'Search: "{query}"', {"query": query})
        self.visit.track(EventName.PRODUCTS_SEARCHED, {"query": query})
        self._list_viewed("search_results", category, results)
        return results

    def _list(self, category: CategoryPath) -> Sequence[Product]:
        members = self.shop.catalogue.in_category(category)
        shown = tuple(self.rng.sample(members, k=min(len(members), _LIST_SIZE)))
        name = " > ".join(category)
        path = "/c/" + "/".join(slug(part) for part in category)
        self.visit.view("Category", path, name, {"category": name})
        self._list_viewed(slug(name), category, shown)
        return shown

    def _list_viewed(self, list_id: str, category: CategoryPath, shown: Sequence[Product]) -> None:
        products = [{**product_properties(p), "position": i + 1} for i, p in enumerate(shown)]
        properties = {"list_id": list_id, "category": " > ".join(category), "products": products}
        self.visit.track(EventName.PRODUCT_LIST_VIEWED, properties)

    def _review_cart(self) -> None:
        self.visit.view("Cart", "/cart", "Your cart", {})
        self.visit.track(EventName.CART_VIEWED, {"products": self.shop.lines(self.cart)})
        if self.rng.random() < 0.35:
            catalogue = self.shop.catalogue
            worst = min(
                self.cart, key=lambda pid: self.shop.affinity(self.shopper, catalogue.product(pid))
            )
            self.visit.wait(8.0)
            removed = {
                **product_properties(catalogue.product(worst)),
                "quantity": self.cart.pop(worst),
            }
            self.visit.track(EventName.PRODUCT_REMOVED, removed)

    def _check_out(self) -> None:
        visit, shop = self.visit, self.shop
        visit.wait(15.0)
        visit.view("Cart", "/cart", "Your cart", {})
        visit.track(EventName.CART_VIEWED, {"products": shop.lines(self.cart)})
        signed_in = self.channel in self.memory.signed_in
        if self.shopper.user_id and not signed_in and self.rng.random() < 0.7:
            self._sign_in()
        order_id = shop.next_order_id()
        revenue = shop.subtotal(self.cart)
        currency = shop.catalogue.currency
        visit.wait(10.0)
        visit.view("Checkout", "/checkout", "Checkout", {})
        visit.track(
            EventName.CHECKOUT_STARTED,
            {
                "order_id": order_id,
                "value": revenue,
                "revenue": revenue,
                "currency": currency,
                "products": shop.lines(self.cart),
            },
        )
        if self.rng.random() >= 0.8:
            return
        visit.wait(90.0)
        shop.take(ONLINE, self.cart)
        shipping = 0.0 if revenue >= FREE_SHIPPING_FROM else SHIPPING
        tax = round(revenue * TAX, 2)
        visit.view("Order Confirmation", "/checkout/confirmation", "Thank you", {})
        visit.track(
            EventName.ORDER_COMPLETED,
            {
                "order_id": order_id,
                "affiliation": "Shopstream app"
                if self.channel is Channel.APP
                else "Shopstream online",
                "total": round(revenue + shipping + tax, 2),
                "revenue": revenue,
                "shipping": shipping,
                "tax": tax,
                "currency": currency,
                "products": shop.lines(self.cart),
            },
        )

    def _sign_in(self) -> None:
        user_id = self.shopper.user_id
        if user_id is None:
            return
        self.visit.view("Sign In", "/account/sign-in", "Sign in", {})
        self.visit.wait(12.0)
        if self.visit.sender is not None:
            self.visit.sender = self.visit.sender.signed_in(user_id)
        self.visit.identify(self.shopper.traits())
        self.memory.signed_in.add(self.channel)


def slug(text: str) -> str:
    """A URL path part: ``Home > Kitchen`` becomes ``home-kitchen``."""
    return "-".join(text.lower().replace("&", " ").replace(">", " ").split())
