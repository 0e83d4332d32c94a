"""Item-to-item co-visitation, learnt from every event as it happens.

Two products are neighbours when one shopper touches both within a session (no gap longer
than ``session_gap``). A session adds ``weight(a) * weight(b)`` to the pair, once, with the
strongest behaviour seen on each product (a view counts least, an order most); evidence
halves every ``half_life`` seconds (forward decay, so updates commute). Memory is bounded:
an item keeps its ``max_neighbours`` strongest neighbours, pruned when it holds twice as
many, and a session pairs a product with its ``window`` most recent products only.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter

from shopstream.core import CustomerId, ProductId
from shopstream.recommend.decay import ForwardDecay
from shopstream.recommend.history import Weighed, weigh_history
from shopstream.recommend.interactions import (
    DEFAULT_WEIGHTS,
    Behaviour,
    BehaviourWeights,
    Interaction,
)
from shopstream.recommend.params import require_at_least, require_positive
from shopstream.recommend.scored import Scored, top_k

_SWEEP_EVERY = 4096  # updates between sweeps of idle sessions


class _Session:
    """One shopper's current session: its products, most recent last, with their weights."""

    __slots__ = ("items", "last_at")

    def __init__(self, at: float) -> None:
        self.last_at = at
        self.items: dict[ProductId, float] = {}


@dataclass(kw_only=True, slots=True, eq=False)
class CoVisitation:
    """Products touched together in sessions, weighted by behaviour and decayed with time.

    ``recommend`` expands the ``depth`` most recent products of the history, each weighted
    by its behaviour and recency (``history_half_life``), through its neighbours' share of
    that product's co-visits.

    Examples:
        >>> from shopstream.core import CustomerId
        >>> model = CoVisitation(half_life=3600.0)
        >>> for who, item, at in [("a", "p1", 0), ("a", "p2", 5), ("b", "p1", 9), ("b", "p3", 12)]:
        ...     model.partial_fit(Interaction(CustomerId(who), ProductId(item), Behaviour.VIEW, at))
        >>> history = [Interaction(CustomerId("c"), ProductId("p2"), Behaviour.VIEW, 20.0)]
        >>> model.recommend(history, k=2)
        [Scored(product_id='p1', score=1.0, reason='viewed together with p2')]
    """

    weights: BehaviourWeights = DEFAULT_WEIGHTS
    session_gap: float = 1800.0
    half_life: float = 7 * 86_400.0
    max_neighbours: int = 100
    window: int = 50
    depth: int = 20
    history_half_life: float = 3600.0
    _decay: ForwardDecay = field(init=False, repr=False)
    _neighbours: dict[ProductId, dict[ProductId, float]] = field(init=False, repr=False)
    _sessions: dict[CustomerId, _Session] = field(init=False, repr=False)
    _updates: int = field(init=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("session_gap", "half_life", "history_half_life"):
            require_positive("CoVisitation", name, getattr(self, name))
        for name in ("max_neighbours", "window", "depth"):
            require_at_least("CoVisitation", name, getattr(self, name), 1)
        self._reset()

    def _reset(self) -> None:
        self._decay = ForwardDecay(self.half_life)
        self._neighbours = {}
        self._sessions = {}
        self._updates = 0

    def fit(self, interactions: Iterable[Interaction]) -> None:
        """Forget everything, then learn ``interactions`` in time order."""
        self._reset()
        for interaction in sorted(interactions, key=lambda i: i.at):
            self.partial_fit(interaction)

    def partial_fit(self, interaction: Interaction) -> None:
        weight = self.weights.of(interaction.behaviour)
        if weight <= 0:
            return
        at, item = interaction.at, interaction.product_id
        self._updates += 1
        if self._updates % _SWEEP_EVERY == 0:
            self._sweep(at)
        session = self._sessions.get(interaction.customer_id)
        if session is None or at - session.last_at > self.session_gap:
            session = self._sessions[interaction.customer_id] = _Session(at)
        session.last_at = max(session.last_at, at)
        before = session.items.pop(item, 0.0)
        gain = weight - before
        if gain > 0:
            rescale = self._decay.advance(at)
            if rescale != 1.0:
                self._rescale(rescale)
            scale = gain * self._decay.factor(at)
            self._pair(item, session.items, scale)
        session.items[item] = max(before, weight)
        if len(session.items) > self.window:
            del session.items[next(iter(session.items))]

    def _pair(self, item: ProductId, others: dict[ProductId, float], scale: float) -> None:
        """Add ``scale * weight(other)`` to ``item``'s pair with every other, both ways."""
        table, limit = self._neighbours, 2 * self.max_neighbours
        mine = table.get(item)
        if mine is None:
            mine = table[item] = {}
        # The hottest loop of the stream (an order line pairs with up to ``window`` others):
        # bound methods looked up once.
        mine_get, table_get = mine.get, table.get
        for other, other_weight in others.items():
            value = scale * other_weight
            mine[other] = mine_get(other, 0.0) + value
            theirs = table_get(other)
            if theirs is None:
                theirs = table[other] = {}
            theirs[item] = theirs.get(item, 0.0) + value
            if len(theirs) > limit:
                self._prune(theirs)
        if len(mine) > limit:
            self._prune(mine)

    def _prune(self, neighbours: dict[ProductId, float]) -> None:
        """Keep the ``max_neighbours`` strongest; among equals, the longest known."""
        kept = sorted(neighbours.items(), key=itemgetter(1), reverse=True)[: self.max_neighbours]
        neighbours.clear()
        neighbours.update(kept)

    def _rescale(self, factor: float) -> None:
        for neighbours in self._neighbours.values():
            for other in neighbours:
                neighbours[other] *= factor

    def _sweep(self, now: float) -> None:
        idle = [c for c, s in self._sessions.items() if now - s.last_at > self.session_gap]
        for customer_id in idle:
            del self._sessions[customer_id]

    def neighbours(self, product_id: ProductId, at: float) -> list[tuple[ProductId, float]]:
        """``product_id``'s neighbours with their co-visit weight decayed to ``at``, best first."""
        found = self._neighbours.get(product_id, {})
        return [(other, self._decay.value(v, at)) for other, v in top_k(found, len(found))]

    def recommend(
        self,
        history: Sequence[Interaction],
        k: int = 10,
        *,
        exclude: Collection[ProductId] = frozenset(),
    ) -> list[Scored]:
        require_at_least("CoVisitation", "k", k, 1)
        sources = weigh_history(history, self.weights, self.history_half_life, self.depth)
        scores: dict[ProductId, float] = {}
        # Each item's reason is the source that gave it most (the first, among equals).
        strongest: dict[ProductId, tuple[float, str]] = {}
        for source, weighed in sources.items():
            neighbours = self._neighbours.get(ProductId(source))
            if not neighbours:
                continue
            share = weighed.weight / sum(neighbours.values())
            for other, value in neighbours.items():
                part = share * value
                scores[other] = scores.get(other, 0.0) + part
                known = strongest.get(other)
                if known is None or part > known[0]:
                    strongest[other] = (part, source)
        if exclude:
            scores = {item: score for item, score in scores.items() if item not in exclude}
        answer = []
        for item, score in top_k(scores, k):
            source = strongest[item][1]
            answer.append(Scored(item, score, self._reason(source, sources), ProductId(source)))
        return answer

    @staticmethod
    def _reason(source: str, sources: dict[str, Weighed]) -> str:
        verb = "bought" if sources[source].strongest is Behaviour.ORDER else "viewed"
        return f"{verb} together with {source}"
