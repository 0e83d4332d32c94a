"""Who may get which action on which channel, now: consent, caps, quiet hours, stock,
budget, dates and suppression.

Pure functions of the configuration, the profile, the ledger and the catalog at a moment:
the stream processor calls them at the log's time, ``/v1/decide`` at the request's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shopstream.catalog import Catalog
from shopstream.core import ProductId, StoreId
from shopstream.decide.config import DecideConfig, Offer
from shopstream.decide.facts import Facts
from shopstream.decide.ledger import Ledger
from shopstream.profiles import Profile, Purpose

_PURPOSES = {
    "email": Purpose.EMAIL,
    "sms": Purpose.SMS,
    "push": Purpose.PUSH,
    "ads": Purpose.ADS,
    "audience": Purpose.ADS,
}


@dataclass(frozen=True, slots=True)
class Verdict:
    """An offer's eligible channels in preference order, or why it has none."""

    offer_id: str
    channels: tuple[str, ...]
    reason: str

    @property
    def eligible(self) -> bool:
        return bool(self.channels)


def time_zone(profile: Profile | None, catalog: Catalog, default: str) -> ZoneInfo:
    """The customer's time zone (trait ``timezone``), else their store's while they are in
    it, else ``default``."""
    if profile is not None:
        name = (profile.traits or {}).get("timezone")
        if isinstance(name, str):
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                pass
        if profile.store_id is not None:
            store = catalog.store(profile.store_id)
            if store is not None:
                return ZoneInfo(store.timezone)
    return ZoneInfo(default)


def local_day(at: float, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(at, zone).date().isoformat()


def judge(
    offer: Offer,
    channels: tuple[str, ...],
    facts: Facts,
    *,
    config: DecideConfig,
    ledger: Ledger,
    catalog: Catalog,
    in_segment: Callable[[str], bool],
) -> Verdict:
    """Whether ``offer`` may go to the customer of ``facts`` now, and on which of
    ``channels`` (empty: the offer's own channels)."""
    rules = config.offers_file.eligibility
    profile = facts.profile
    moment, day, local = facts.moment()

    def no(reason: str) -> Verdict:
        return Verdict(offer.id, (), reason)

    if not offer.enabled:
        return no("offer disabled")
    wanted = [c for c in channels if c in offer.channels] if channels else list(offer.channels)
    if not wanted:
        return no(f"no channel in common with the offer ({', '.join(offer.channels)})")
    if offer.start is not None and moment < offer.start:
        return no(f"offer starts {offer.start.isoformat()}")
    if offer.end is not None and moment >= offer.end:
        return no(f"offer ended {offer.end.isoformat()}")
    if offer.budget is not None and ledger.spent.get(offer.id, 0.0) + offer.cost > offer.budget:
        return no(f"budget spent ({ledger.spent.get(offer.id, 0.0):g} of {offer.budget:g})")
    if profile is not None and (profile.traits or {}).get("suppressed") is True:
        return no("customer suppressed")
    for segment in (*rules.suppress_segments, *offer.exclude_segments):
        if in_segment(segment):
            return no(f"suppressed: in segment {segment}")
    rule = config.eligibility_rules.get(offer.id)
    if rule is not None and not rule(facts):
        return no(f"not eligible: {offer.eligibility}")
    if offer.products and not _in_stock(offer, profile, catalog):
        return no("out of stock")
    if profile is not None and profile.consents_to(Purpose.PERSONALIZATION) is False:
        return no("consent withdrawn for personalization")
    reasons: list[str] = []
    ok: list[str] = []
    for channel in wanted:
        purpose = _PURPOSES.get(channel)
        consent = profile.consents_to(purpose) if profile is not None and purpose else None
        if consent is False:
            reasons.append(f"consent withdrawn for {purpose}")
        elif consent is None and channel in rules.opt_in:
            reasons.append(f"no consent given for {channel}")
        elif (
            rules.quiet_hours is not None
            and channel in rules.quiet_hours.channels
            and (rules.quiet_hours.covers(local))
        ):
            reasons.append(f"quiet hours for {channel} ({local:%H:%M} in {facts.zone.key})")
        elif (cap := rules.cap(channel)) is not None and (
            ledger.count(facts.customer_id, channel, day) >= cap
        ):
            reasons.append(f"{channel} cap reached ({cap} a day)")
        else:
            ok.append(channel)
    if not ok:
        return no("; ".join(reasons))
    return Verdict(offer.id, tuple(ok), "eligible")


def _in_stock(offer: Offer, profile: Profile | None, catalog: Catalog) -> bool:
    if not catalog.has_stock():  # no inventory known at all: stock is not tracked
        return True
    store: StoreId | None = profile.store_id if profile is not None else None
    for product in offer.products:
        pid = ProductId(product)
        if catalog.available(pid, None) > 0 or (
            store is not None and catalog.available(pid, store) > 0
        ):
            return True
    return False
