"""The recommenders that learn from every event: a stream processor over the log.

Co-visitation and trending learn online from each product event, keyed by the event's first
identifier (a browsing session's own id, so the result does not depend on later identity
merges) and timed by ``receivedAt``, so the state is a function of the log alone. EASE is
retrained in the background on the latest interactions (:mod:`.collaborative`), and the
texts of upserted products are queued for their embeddings (:mod:`.content`); both are
saved with this state.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable
from typing import Any

from shopstream.catalog import product_from_dict
from shopstream.core import CustomerId, Offset, ProductId
from shopstream.events import ADMIN_SOURCE, AdminEvent, Message
from shopstream.recommend.blend import Blend
from shopstream.recommend.collaborative import LiveEASE
from shopstream.recommend.content import ContentIndex
from shopstream.recommend.covisitation import CoVisitation
from shopstream.recommend.generator import CandidateGenerator
from shopstream.recommend.history import OwnHistory
from shopstream.recommend.interactions import interactions_from_event
from shopstream.recommend.service import StoreTrendingCache
from shopstream.recommend.trending import CategoryTrending, Trending
from shopstream.recommend.weights import HAND_SET, LiveWeights

DEFAULT_WEIGHTS = dict(HAND_SET.weights)
"""Hand-set blend weights of the live recommender (see :mod:`.weights` for tuned ones)."""


def default_generators(weights: LiveWeights = HAND_SET) -> dict[str, CandidateGenerator]:
    return {
        # The 10 and 3 most recent products and categories of a history (what the
        # evaluation chose on Taobao) and 50 neighbours a product: half the work per request
        # of the classes' defaults, for the same top 50.
        "covisit": CoVisitation(depth=10, max_neighbours=50),
        "own": OwnHistory(),
        "category": CategoryTrending(depth=3),
        "trending": Trending(),
        "ease": LiveEASE(**weights.ease),  # type: ignore[arg-type]
    }


LIVE_DEPTH = 50
"""Candidates each generator offers a request: the service keeps 5 per item asked for (50
for the usual 10), and fusing and ruling on more only costs time."""


def default_blend(weights: LiveWeights = HAND_SET) -> Blend:
    return Blend(
        generators=default_generators(weights), weights=dict(weights.weights), depth=LIVE_DEPTH
    )


class LiveRecommender:
    """Feeds the blend's online learners from the log; answers through :attr:`blend`.

    ``weights`` set the blend's weights (hand-set by default); they are configuration, so
    a restored state takes the weights given here, not those it was saved with.
    """

    name = "recommend"

    def __init__(self, blend: Blend | None = None, weights: LiveWeights | None = None) -> None:
        self.weights = weights if weights is not None else HAND_SET
        self.blend = blend if blend is not None else default_blend(self.weights)
        self.content = ContentIndex()
        self.store_cache = StoreTrendingCache()
        self._offset = Offset(0)

    @property
    def offset(self) -> Offset:
        return self._offset

    @property
    def ease(self) -> LiveEASE | None:
        """The background-trained collaborative filter, if the blend has one."""
        found = self.blend.generators.get("ease")
        return found if isinstance(found, LiveEASE) else None

    def apply(self, events: Iterable[tuple[Offset, Message]]) -> None:
        for offset, message in events:
            if offset <= self._offset:
                continue
            self._offset = offset
            if message.type != "track" or not message.identities:
                continue
            if message.source == ADMIN_SOURCE:
                if message.event == AdminEvent.PRODUCTS_UPSERTED:
                    self._queue_texts(message.properties["products"])
                continue
            at = message.received_at.timestamp() if message.received_at else 0.0
            who = CustomerId(message.identities[0].value)
            for interaction in interactions_from_event(message.event, message.properties, at, who):
                self.blend.partial_fit(interaction)

    def _queue_texts(self, products: Iterable[dict[str, Any]]) -> None:
        texts = []
        for raw in products:
            product = product_from_dict(raw)
            texts.append((ProductId(product.id), product.text))
        self.content.queue(texts)

    def dump(self) -> bytes:
        # Our own objects into our own state store: pickle keeps every generator's internals
        # without a second serialisation format to maintain.
        state = {"offset": self._offset, "blend": self.blend, "content": self.content}
        return pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)

    def load(self, state: bytes) -> None:
        loaded = pickle.loads(state)
        if isinstance(loaded, tuple):  # saved before content embeddings: (offset, blend)
            loaded = {"offset": loaded[0], "blend": loaded[1], "content": ContentIndex()}
        self._offset = loaded["offset"]
        saved: Blend = loaded["blend"]
        # Generators added since the state was saved start empty; weights and EASE's
        # parameters are configuration (EASE keeps the saved window to retrain on).
        fresh = default_generators(self.weights)
        generators = {**fresh, **saved.generators}
        ease, old = fresh["ease"], saved.generators.get("ease")
        if isinstance(ease, LiveEASE) and isinstance(old, LiveEASE):
            ease.extend(old.snapshot())
            generators["ease"] = ease
        self.blend = Blend(
            generators=generators, weights=dict(self.weights.weights), depth=LIVE_DEPTH
        )
        self.content = loaded["content"]
