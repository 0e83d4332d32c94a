"""The recommenders that learn from every event: a stream processor over the log.

Co-visitation and trending learn online from each product event, keyed by the event's first
identifier (a browsing session's own id, so the result does not depend on later identity
merges) and timed by ``receivedAt``, so the state is a function of the log alone.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable

from shopstream.core import CustomerId, Offset
from shopstream.events import ADMIN_SOURCE, Message
from shopstream.recommend.blend import Blend
from shopstream.recommend.covisitation import CoVisitation
from shopstream.recommend.history import OwnHistory
from shopstream.recommend.interactions import interactions_from_event
from shopstream.recommend.trending import CategoryTrending, Trending

DEFAULT_WEIGHTS = {"covisit": 1.0, "own": 0.6, "category": 0.3, "trending": 0.15}
"""Blend weights of the live recommender (see ``benchmarks/results/evaluate-*.md``)."""


def default_blend() -> Blend:
    return Blend(
        generators={"covisit": CoVisitation(), "own": OwnHistory(),
                    "category": CategoryTrending(), "trending": Trending()},
        weights=DEFAULT_WEIGHTS,
    )  # fmt: skip


class LiveRecommender:
    """Feeds the blend's online learners from the log; answers through :attr:`blend`."""

    name = "recommend"

    def __init__(self, blend: Blend | None = None) -> None:
        self.blend = blend if blend is not None else default_blend()
        self._offset = Offset(0)

    @property
    def offset(self) -> Offset:
        return self._offset

    def apply(self, events: Iterable[tuple[Offset, Message]]) -> None:
        for offset, message in events:
            if offset <= self._offset:
                continue
            self._offset = offset
            if message.type != "track" or message.source == ADMIN_SOURCE or not message.identities:
                continue
            at = message.received_at.timestamp() if message.received_at else 0.0
            who = CustomerId(message.identities[0].value)
            for interaction in interactions_from_event(message.event, message.properties, at, who):
                self.blend.partial_fit(interaction)

    def dump(self) -> bytes:
        # Our own objects into our own state store: pickle keeps every generator's internals
        # without a second serialisation format to maintain.
        return pickle.dumps((self._offset, self.blend), protocol=pickle.HIGHEST_PROTOCOL)

    def load(self, state: bytes) -> None:
        self._offset, self.blend = pickle.loads(state)
