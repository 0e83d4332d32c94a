"""The retailer's recurring sends: a newsletter and an app push, at local times.

Each send features products of one department (the departments take turns). Who opens an
email is down to its subject line (``open_rate``); who clicks through, and who opens a push
(which shows its product), is down to their taste for what is featured.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shopstream.catalog import Product
from shopstream.events import Channel
from shopstream.simulate.shoppers import Shopper


@dataclass(frozen=True, slots=True)
class Campaign:
    """A send repeated at ``hour`` local time on ``weekdays`` (Monday is 0).

    Examples:
        >>> newsletter = CAMPAIGNS[0]
        >>> newsletter.due(datetime(2026, 3, 3, 10, 0)), newsletter.due(datetime(2026, 3, 4, 10, 0))
        (True, False)
    """

    id: str
    name: str
    channel: Channel
    weekdays: frozenset[int]
    hour: int
    items: int
    open_rate: float = 1.0

    def __post_init__(self) -> None:
        if self.channel not in (Channel.EMAIL, Channel.PUSH):
            msg = f"campaign {self.id!r}: channel must be email or push; got {self.channel}"
            raise ValueError(msg)
        if not (self.weekdays <= set(range(7)) and 0 <= self.hour < 24 and self.items >= 1):
            msg = f"campaign {self.id!r}: weekdays in 0-6, hour in 0-23 and items >= 1 required"
            raise ValueError(msg)

    def due(self, local: datetime) -> bool:
        """Whether the campaign goes out in the hour starting at this local time."""
        return local.weekday() in self.weekdays and local.hour == self.hour

    def reaches(self, shopper: Shopper) -> bool:
        """Whether the retailer may send this campaign to the shopper."""
        if self.channel is Channel.EMAIL:
            return shopper.email is not None and shopper.consent.get("email", False)
        return shopper.app is not None and shopper.consent.get("push", False)


@dataclass(frozen=True, slots=True)
class Send:
    """One send of a campaign: its id (``campaign-date``), headline and featured products."""

    campaign: Campaign
    id: str
    headline: str
    products: tuple[Product, ...]


CAMPAIGNS: tuple[Campaign, ...] = (
    Campaign(
        "weekly-picks", "Weekly picks", Channel.EMAIL, frozenset({1, 4}), 10, items=4, open_rate=0.3
    ),
    Campaign("tonights-deal", "Tonight's deal", Channel.PUSH, frozenset({3, 6}), 18, items=1),
)
"""A twice-weekly newsletter on Tuesday and Friday mornings and a push on Thursday and
Sunday evenings."""
