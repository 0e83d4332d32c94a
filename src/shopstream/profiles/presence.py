"""Presence as it happens: who just entered or left a store or one of its zones.

:func:`presence_change` reads one processed event; :class:`PresenceFeed` fans the changes
out to whoever listens (the associates' "customers nearby" feed). The feed holds no state
of its own: a listener that connects late asks :func:`present_at` for who is in the store
now, from the profiles, and then follows the changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from shopstream.core import CustomerId, StoreId
from shopstream.events import EventName, Message
from shopstream.profiles.collection import Profiles

logger = logging.getLogger(__name__)

_PRESENCE_EVENTS = frozenset(
    {EventName.STORE_ENTERED, EventName.STORE_ZONE_ENTERED, EventName.STORE_EXITED}
)


@dataclass(frozen=True, slots=True)
class PresenceChange:
    """A customer entered (or left) a store, or entered one of its zones, at ``at``."""

    customer_id: CustomerId
    store_id: StoreId
    zone_id: str | None
    at: datetime
    entered: bool


def presence_change(message: Message, customer_id: CustomerId | None) -> PresenceChange | None:
    """The change an event makes to where its customer is; ``None`` for other events.

    Examples:
        >>> from datetime import UTC, datetime
        >>> from shopstream.events import parse_message
        >>> t = datetime(2026, 3, 1, 12, tzinfo=UTC)
        >>> m = parse_message({"type": "track", "userId": "u1", "event": "Store Zone Entered",
        ...     "properties": {"store_id": "s1", "zone_id": "z-kitchen"}},
        ...     source="beacons", received_at=t)
        >>> change = presence_change(m, CustomerId("c1"))
        >>> change.store_id, change.zone_id, change.entered
        ('s1', 'z-kitchen', True)
    """
    if customer_id is None or message.type != "track" or message.event not in _PRESENCE_EVENTS:
        return None
    props = message.properties
    at = message.timestamp or message.received_at
    if at is None:
        return None
    zone_id = props.get("zone_id") if message.event == EventName.STORE_ZONE_ENTERED else None
    return PresenceChange(
        customer_id=customer_id,
        store_id=StoreId(str(props["store_id"])),
        zone_id=str(zone_id) if zone_id else None,
        at=at,
        entered=message.event != EventName.STORE_EXITED,
    )


def present_at(profiles: Profiles, store_id: StoreId, now: datetime) -> list[CustomerId]:
    """The customers whose presence (within the rules' time to live) is ``store_id``,
    most recent first."""
    at = now.timestamp()
    ttl = profiles.rules.presence_ttl.total_seconds()
    found: list[tuple[float, CustomerId]] = []
    for customer_id in profiles:
        profile = profiles.get(customer_id)
        if (
            profile is not None
            and profile.store_id == store_id
            and profile.presence_at is not None
            and at - profile.presence_at <= ttl
        ):
            found.append((profile.presence_at, customer_id))
    found.sort(reverse=True)
    return [customer_id for _, customer_id in found]


class PresenceFeed:
    """Fan-out of presence changes to subscribers, each with a bounded queue.

    Publishing never blocks the stream: a subscriber that falls ``maxsize`` changes behind
    loses its oldest ones.

    Examples:
        >>> from datetime import UTC, datetime
        >>> change = PresenceChange(CustomerId("c1"), StoreId("s1"), None,
        ...                         datetime(2026, 3, 1, tzinfo=UTC), entered=True)
        >>> feed = PresenceFeed()
        >>> with feed.subscribe() as changes:
        ...     feed.publish(change)
        ...     changes.get_nowait().store_id
        's1'
    """

    __slots__ = ("_maxsize", "_subscribers")

    def __init__(self, maxsize: int = 256) -> None:
        self._maxsize = maxsize
        self._subscribers: set[asyncio.Queue[PresenceChange]] = set()

    @contextlib.contextmanager
    def subscribe(self) -> Iterator[asyncio.Queue[PresenceChange]]:
        """A queue of the changes published while the ``with`` block lasts."""
        queue: asyncio.Queue[PresenceChange] = asyncio.Queue(self._maxsize)
        self._subscribers.add(queue)
        try:
            yield queue
        finally:
            self._subscribers.discard(queue)

    def publish(self, change: PresenceChange) -> None:
        for queue in self._subscribers:
            if queue.full():
                queue.get_nowait()
                logger.debug("a presence subscriber fell behind; dropped its oldest change")
            queue.put_nowait(change)

    def __len__(self) -> int:
        """How many subscribers are listening."""
        return len(self._subscribers)
