"""The live state of every customer, product and store: the stream processor of Detect.

:class:`LiveState` is fed the log in offset order. For each event it updates the catalog,
resolves the event's identifiers to one customer (merging profiles when the identity graph
merges customers) and folds the event into that customer's profile. Operator changes
(catalog upserts, unmerges) are logged events too, from :data:`ADMIN_SOURCE`, so the state is
a function of the log alone and a replay, a restart or a crash reproduces it exactly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import orjson

from shopstream.catalog import Catalog, product_from_dict, store_from_dict
from shopstream.core import CustomerId, MessageId, Offset, ProductId, StoreId
from shopstream.events import ADMIN_SOURCE, AdminEvent, EventName, Identifier, Message
from shopstream.identity import IdentityGraph, IdentityRules, Split
from shopstream.profiles.collection import Profiles
from shopstream.profiles.rules import ProfileRules

logger = logging.getLogger(__name__)

History = Callable[[Iterable[Identifier], Offset], list[tuple[Offset, Message]]]
"""Events carrying any of the identifiers, with offsets below the given one, in order."""

Observer = Callable[[Offset, Message, CustomerId | None], None]
"""Told of each event after it is applied, with the customer it was resolved to (if any);
operator changes (source :data:`ADMIN_SOURCE`) come with ``None``."""

# Events about things rather than shoppers: they never create or touch a profile.
_NOT_ABOUT_SHOPPERS = frozenset({EventName.INVENTORY_UPDATED, EventName.SIGNAL_RECEIVED})
_EXPIRE_EVERY = 10_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class LiveState:
    """Identity graph, profiles and catalog, kept together at one log offset.

    Args:
        history: reads the log by identifier; needed to split state on unmerge.
        identity_rules: guardrails of the identity graph.
        profile_rules: weights, half-lives and bounds of profile features.
        observer: told of every event of the stream once applied, operator changes
            included, in log order with the state as of that event: for presence feeds and
            live activity, and for decide's triggers (which save their own state).
    """

    name = "live"

    def __init__(
        self,
        history: History,
        *,
        identity_rules: IdentityRules | None = None,
        profile_rules: ProfileRules | None = None,
        observer: Observer | None = None,
    ) -> None:
        self._history = history
        self._observer = observer
        self._identity_rules = identity_rules
        self._profile_rules = profile_rules
        self.catalog = Catalog()
        self.graph = IdentityGraph(identity_rules)
        self.profiles = Profiles(profile_rules, lookup=self.catalog.product)
        self._offset = Offset(0)
        self._clock = _EPOCH
        self._since_expiry = 0

    @property
    def offset(self) -> Offset:
        return self._offset

    @property
    def clock(self) -> datetime:
        """Processing time: the latest ``receivedAt`` seen, never the wall clock."""
        return self._clock

    def apply(self, events: Iterable[tuple[Offset, Message]]) -> None:
        for offset, message in events:
            if offset <= self._offset:
                continue
            if message.received_at is not None and message.received_at > self._clock:
                self._clock = message.received_at
            if message.source == ADMIN_SOURCE:
                self._apply_admin(offset, message)
            else:
                self._apply_event(offset, message)
            self._offset = offset
            self._since_expiry += 1
            if self._since_expiry >= _EXPIRE_EVERY:
                self.expire()

    def _apply_event(self, offset: Offset, message: Message) -> None:
        now = self._clock
        self.catalog.apply(message, offset=offset, now=now)
        if not message.identities or (
            message.type == "track" and message.event in _NOT_ABOUT_SHOPPERS
        ):
            if self._observer is not None:
                self._observer(offset, message, None)
            return
        resolution = self.graph.resolve(
            message.identities,
            offset=offset,
            message_id=MessageId(message.message_id or ""),
            now=now,
        )
        for merge in resolution.merged:
            self.profiles.merge(merge.winner, merge.loser)
        self.profiles.apply(resolution.customer_id, message, offset=offset, now=now)
        if self._observer is not None:
            self._observer(offset, message, resolution.customer_id)

    def _apply_admin(self, offset: Offset, message: Message) -> None:
        if message.type != "track":
            return
        props: dict[str, Any] = message.properties
        if message.event == AdminEvent.PRODUCTS_UPSERTED:
            self.catalog.upsert_products(product_from_dict(p) for p in props["products"])
        elif message.event == AdminEvent.STORES_UPSERTED:
            self.catalog.upsert_stores(store_from_dict(s) for s in props["stores"])
        elif message.event == AdminEvent.STOCK_SET:
            self.catalog.set_stock(
                (StoreId(loc), ProductId(pid), int(qty)) for loc, pid, qty in props["levels"]
            )
        elif message.event == AdminEvent.IDENTITY_UNMERGED:
            self._unmerge(props["merge_id"], offset)
        if self._observer is not None:
            self._observer(offset, message, None)

    def _unmerge(self, merge_id: str, offset: Offset) -> None:
        split: Split = self.graph.unmerge(merge_id, now=self._clock)
        self.profiles.drop(split.previous)
        for side in (split.winner_side, split.loser_side):
            events = self._history(side.identifiers, offset)
            self.profiles.rebuild(side.customer_id, events, now=self._clock)
        logger.info(
            "unmerged %s into %s and %s",
            split.previous,
            split.winner_side.customer_id,
            split.loser_side.customer_id,
        )

    def expire(self) -> list[CustomerId]:
        """Forget anonymous customers idle past the identity rules' time to live."""
        self._since_expiry = 0
        expired = self.graph.expire(self._clock)
        for customer_id in expired:
            self.profiles.drop(customer_id)
        return expired

    # -- state --------------------------------------------------------------------------------

    def dump(self) -> bytes:
        return orjson.dumps(
            {
                "offset": self._offset,
                "clock": self._clock.isoformat(),
                "since_expiry": self._since_expiry,
                "catalog": self.catalog.to_snapshot(),
                "graph": self.graph.to_snapshot(),
                "profiles": self.profiles.to_snapshot(),
            }
        )

    def load(self, state: bytes) -> None:
        data = orjson.loads(state)
        self.catalog = Catalog.from_snapshot(data["catalog"])
        self.graph = IdentityGraph.from_snapshot(data["graph"], self._identity_rules)
        self.profiles = Profiles.from_snapshot(
            data["profiles"], self._profile_rules, lookup=self.catalog.product
        )
        self._offset = Offset(data["offset"])
        self._clock = datetime.fromisoformat(data["clock"])
        self._since_expiry = data["since_expiry"]
