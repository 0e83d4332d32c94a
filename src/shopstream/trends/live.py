"""Trends as a stream processor: fed from the log, saved with the offset it reflects, so the
seven-day baselines of emerging-trend detection survive a restart."""

from __future__ import annotations

from collections.abc import Iterable

import orjson

from shopstream.core import Offset
from shopstream.events import ADMIN_SOURCE, Message
from shopstream.trends.rules import TrendRules
from shopstream.trends.trends import ProductLookup, Trends

_EXPIRE_EVERY = 10_000


class LiveTrends:
    """The :class:`Trends` of the whole stream, timed by ``receivedAt``."""

    name = "trends"

    def __init__(self, lookup: ProductLookup, rules: TrendRules | None = None) -> None:
        self._lookup = lookup
        self._rules = rules
        self.trends = Trends(rules, lookup=lookup)
        self._offset = Offset(0)
        self._since_expiry = 0

    @property
    def offset(self) -> Offset:
        return self._offset

    def apply(self, events: Iterable[tuple[Offset, Message]]) -> None:
        for offset, message in events:
            if offset <= self._offset:
                continue
            self._offset = offset
            if message.source == ADMIN_SOURCE or message.received_at is None:
                continue
            if self.trends.apply(message, offset=offset, now=message.received_at):
                self._since_expiry += 1
                if self._since_expiry >= _EXPIRE_EVERY:
                    self._since_expiry = 0
                    self.trends.expire(message.received_at)

    def dump(self) -> bytes:
        return orjson.dumps({"offset": self._offset, "trends": self.trends.to_snapshot()})

    def load(self, state: bytes) -> None:
        data = orjson.loads(state)
        self._offset = Offset(data["offset"])
        self.trends = Trends.from_snapshot(data["trends"], self._rules, lookup=self._lookup)
