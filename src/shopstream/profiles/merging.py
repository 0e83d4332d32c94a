"""Merging two profiles of one shopper, when identity learns they are the same person."""

from __future__ import annotations

from shopstream.profiles.features import Affinities, RecentItems
from shopstream.profiles.models import Profile
from shopstream.profiles.rules import ProfileRules


def merge_into(winner: Profile, loser: Profile, rules: ProfileRules) -> None:
    """Fold ``loser``'s state into ``winner``; ``loser`` is left unchanged.

    Counters add; affinities and intent are brought to one time and added; the cart is the
    union with the larger quantity per line (the same kettle in two carts is one kettle);
    orders are a union by ``order_id``; views, wish list and visits merge by time; traits
    and consent go to the most recent.
    """
    winner.last_offset = max(winner.last_offset, loser.last_offset)
    winner.event_count += loser.event_count
    winner.first_seen = min(winner.first_seen, loser.first_seen)
    for channel, count in loser.channels.items():
        winner.channels[channel] = winner.channels.get(channel, 0) + count
    _merge_traits(winner, loser)
    _merge_orders(winner, loser, rules)
    half_life = rules.affinity_half_life.total_seconds()
    for name in ("categories", "brands"):
        theirs: Affinities | None = getattr(loser, name)
        if theirs is not None:
            ours: Affinities | None = getattr(winner, name)
            if ours is None:
                ours = Affinities()
                setattr(winner, name, ours)
            ours.merge(theirs, half_life, rules.max_affinities)
    if loser.views is not None:
        if winner.views is None:
            winner.views = RecentItems()
        winner.views.merge(loser.views, rules.recent_views)
    _merge_cart(winner, loser, rules)
    if loser.wishlist:
        winner.wishlist = winner.wishlist or []
        for product_id in loser.wishlist:
            if product_id not in winner.wishlist and len(winner.wishlist) < rules.max_wishlist:
                winner.wishlist.append(product_id)
    _merge_presence(winner, loser)
    _merge_session(winner, loser, rules)
    winner.last_seen = max(winner.last_seen, loser.last_seen)


def _merge_traits(winner: Profile, loser: Profile) -> None:
    if loser.traits:
        if winner.traits is None or loser.traits_at > winner.traits_at:
            winner.traits = {**(winner.traits or {}), **loser.traits}
            winner.traits_at = loser.traits_at
        else:
            winner.traits = {**loser.traits, **winner.traits}
    if loser.consent:
        winner.consent = winner.consent or {}
        for purpose, (granted, at) in loser.consent.items():
            current = winner.consent.get(purpose)
            if current is None or at > current[1]:
                winner.consent[purpose] = (granted, at)


def _merge_orders(winner: Profile, loser: Profile, rules: ProfileRules) -> None:
    if loser.last_order_at is not None:
        winner.last_order_at = max(winner.last_order_at or loser.last_order_at, loser.last_order_at)
    winner.order_count += loser.order_count
    winner.revenue += loser.revenue
    if not loser.orders:
        return
    known = {order.order_id for order in winner.orders or ()}
    orders = list(winner.orders or ())
    for order in loser.orders:
        if order.order_id in known:
            # Both sides counted it: count it once.
            winner.order_count -= 1
            winner.revenue -= order.total
        else:
            orders.append(order)
    orders.sort(key=lambda o: (o.at, o.order_id))
    winner.orders = orders[-rules.recent_orders :]


def _merge_cart(winner: Profile, loser: Profile, rules: ProfileRules) -> None:
    if loser.cart_at is None:
        return
    if winner.cart_at is None or loser.cart_at > winner.cart_at:
        winner.cart_at = loser.cart_at
    if not loser.cart:
        return
    cart = winner.cart if winner.cart is not None else {}
    for product_id, quantity in loser.cart.items():
        if product_id in cart or len(cart) < rules.max_cart_lines:
            cart[product_id] = max(cart.get(product_id, 0), quantity)
    winner.cart = cart


def _merge_presence(winner: Profile, loser: Profile) -> None:
    if loser.visits:
        winner.visits = winner.visits or {}
        for store_id, theirs in loser.visits.items():
            ours = winner.visits.get(store_id)
            if ours is None:
                winner.visits[store_id] = theirs
            else:
                winner.visits[store_id] = type(ours)(
                    ours.count + theirs.count, max(ours.last_at, theirs.last_at)
                )
    if loser.presence_at is not None and (
        winner.presence_at is None or loser.presence_at > winner.presence_at
    ):
        winner.store_id, winner.zone_id = loser.store_id, loser.zone_id
        winner.presence_at = loser.presence_at


def _merge_session(winner: Profile, loser: Profile, rules: ProfileRules) -> None:
    """Intents add when the two sides were active in one session, else the latest wins."""
    winner.sessions += loser.sessions
    gap = abs(winner.last_seen - loser.last_seen)
    if gap <= rules.session_timeout.total_seconds():
        if winner.sessions and loser.sessions:
            winner.sessions -= 1  # one session seen from two devices
        winner.intent = winner.intent.merge(loser.intent, rules.intent_half_life.total_seconds())
    elif loser.last_seen > winner.last_seen:
        winner.intent = loser.intent
