"""Session-kNN (V-SKNN, Ludewig & Jannach 2018): the peer that scores items of past
sessions similar to the shopper's current one, learning sessions from the stream."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from shopstream.core import CustomerId, ProductId
from shopstream.recommend.evaluation.popular import MostPopular, pad
from shopstream.recommend.interactions import Interaction
from shopstream.recommend.params import require_at_least, require_positive
from shopstream.recommend.scored import Scored, top_k


@dataclass(kw_only=True, slots=True, eq=False)
class SessionKNN:
    """Past sessions sharing items with the current one, weighted by cosine similarity with
    a linear decay over the current session's positions; padded with the most popular.

    ``sample`` bounds the sessions considered per item (the most recent ones), and
    ``neighbours`` the sessions that vote.
    """

    neighbours: int = 100
    sample: int = 500
    session_gap: float = 1800.0
    popular: MostPopular = field(default_factory=MostPopular)
    _items: list[dict[ProductId, None]] = field(init=False, repr=False, default_factory=list)
    _by_item: dict[ProductId, deque[int]] = field(init=False, repr=False, default_factory=dict)
    _current: dict[CustomerId, tuple[int, float]] = field(
        init=False, repr=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        require_at_least("SessionKNN", "neighbours", self.neighbours, 1)
        require_at_least("SessionKNN", "sample", self.sample, 1)
        require_positive("SessionKNN", "session_gap", self.session_gap)

    def fit(self, interactions: Iterable[Interaction]) -> None:
        seen = list(interactions)
        self.popular.fit(seen)
        self._items, self._by_item, self._current = [], {}, {}
        for interaction in seen:
            self.partial_fit(interaction)

    def partial_fit(self, interaction: Interaction) -> None:
        current = self._current.get(interaction.customer_id)
        if current is None or interaction.at - current[1] > self.session_gap:
            session = len(self._items)
            self._items.append({})
        else:
            session = current[0]
        self._current[interaction.customer_id] = (session, interaction.at)
        items = self._items[session]
        if interaction.product_id in items:
            return
        items[interaction.product_id] = None
        holders = self._by_item.get(interaction.product_id)
        if holders is None:
            holders = self._by_item[interaction.product_id] = deque(maxlen=self.sample)
        holders.append(session)

    def recommend(
        self,
        history: Sequence[Interaction],
        k: int = 10,
        *,
        exclude: Collection[ProductId] = frozenset(),
    ) -> list[Scored]:
        current = self._session_of(history)
        own = self._current.get(history[-1].customer_id, (-1, 0.0))[0] if history else -1
        weights = {item: (r + 1) / len(current) for r, item in enumerate(current)}
        overlap: dict[int, float] = {}
        for item, weight in weights.items():
            for session in self._by_item.get(item, ()):
                if session != own:
                    overlap[session] = overlap.get(session, 0.0) + weight
        norm = math.sqrt(len(current)) if current else 1.0
        similar = {s: v / (norm * math.sqrt(len(self._items[s]))) for s, v in overlap.items()}
        nearest = sorted(similar.items(), key=lambda sv: (-sv[1], -sv[0]))[: self.neighbours]
        scores: dict[ProductId, float] = {}
        for session, similarity in nearest:
            for item in self._items[session]:
                if item not in exclude:
                    scores[item] = scores.get(item, 0.0) + similarity
        answer = [Scored(p, s, "in similar sessions") for p, s in top_k(scores, k)]
        return pad(answer, self.popular.ranking, k, exclude)

    def _session_of(self, history: Sequence[Interaction]) -> list[ProductId]:
        """The distinct items of the history's last session, oldest first."""
        start = len(history)
        while start > 0 and (
            start == len(history) or history[start].at - history[start - 1].at <= self.session_gap
        ):
            start -= 1
        return list(dict.fromkeys(i.product_id for i in history[start:]))
