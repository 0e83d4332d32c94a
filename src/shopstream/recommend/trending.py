"""Trending products: popularity that decays with time, overall and per category.

Scores are forward-decayed sums (see :mod:`~shopstream.recommend.decay`), so a score only
ever grows and the ranking among products never needs recomputing; a leaderboard of the
``size`` best is therefore exact when kept incrementally, and a request reads it directly.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from heapq import heapify, heappop, heappush

from shopstream.core import ProductId
from shopstream.recommend.decay import ForwardDecay
from shopstream.recommend.history import weigh_history
from shopstream.recommend.interactions import DEFAULT_WEIGHTS, BehaviourWeights, Interaction
from shopstream.recommend.params import require_at_least, require_positive
from shopstream.recommend.scored import Scored, top_k


class _Leaderboard:
    """The ``size`` best products by a score that never decreases.

    Every product outside has a score at most the floor (the weakest leader's): it was so
    when it fell out or stayed out, and the floor only rises. The ranking asked for without
    exclusions is kept until the board changes, so requests between two events share it.

    The floor is the leader with the lowest score, the first to have joined among equals.
    It is found on a heap of ``(score, joined, item)`` rather than by a scan of every leader:
    a product entering a full board replaces the floor, and under forward decay that is most
    events. Entries are not removed when a score changes; an entry whose score or joining no
    longer matches the leader is stale, skipped when it comes to the top, and the heap is
    rebuilt when stale entries outnumber the leaders.
    """

    __slots__ = ("_heap", "_joined", "_next", "_ranked", "floor", "leaders", "size")

    def __init__(self, size: int) -> None:
        self.size = size
        self.leaders: dict[ProductId, float] = {}
        self.floor: ProductId | None = None
        self._ranked: tuple[int, list[tuple[ProductId, float]]] | None = None
        self._heap: list[tuple[float, int, ProductId]] = []
        self._joined: dict[ProductId, int] = {}  # when each leader joined, in the dict's order
        self._next = 0

    def offer(self, item: ProductId, score: float) -> None:
        self._ranked = None
        leaders = self.leaders
        if item in leaders:
            leaders[item] = score
            self._push(item, score, self._joined[item])
            if item == self.floor:
                self.floor = self._lowest()
        elif len(leaders) < self.size:
            self._join(item, score)
            if self.floor is None or score < leaders[self.floor]:
                self.floor = item
        elif self.floor is not None and score > leaders[self.floor]:
            del leaders[self.floor]
            del self._joined[self.floor]
            self._join(item, score)
            self.floor = self._lowest()

    def _join(self, item: ProductId, score: float) -> None:
        self.leaders[item] = score
        self._joined[item] = joined = self._next
        self._next += 1
        self._push(item, score, joined)

    def _push(self, item: ProductId, score: float, joined: int) -> None:
        heap = self._heap
        heappush(heap, (score, joined, item))
        if len(heap) > 2 * len(self.leaders) + 16:
            self._rebuild()

    def _lowest(self) -> ProductId:
        """The leader ``min(leaders, key=leaders.get)`` would give, stale entries dropped."""
        heap, leaders, joined = self._heap, self.leaders, self._joined
        while True:
            score, when, item = heap[0]
            if joined.get(item) == when and leaders[item] == score:
                return item
            heappop(heap)

    def _rebuild(self) -> None:
        self._heap = [(s, self._joined[p], p) for p, s in self.leaders.items()]
        heapify(self._heap)

    def scale(self, factor: float) -> None:
        self._ranked = None
        for item in self.leaders:
            self.leaders[item] *= factor
        self._rebuild()

    def ranked(self, k: int, exclude: Collection[ProductId]) -> list[tuple[ProductId, float]]:
        """The ``k`` best, best first (a shared list: do not change it)."""
        if exclude:
            kept = {p: s for p, s in self.leaders.items() if p not in exclude}
            return top_k(kept, k)
        cached = self._ranked
        if cached is None or cached[0] != k:
            cached = self._ranked = (k, top_k(self.leaders, k))
        return cached[1]

    def __getstate__(self) -> dict[str, object]:
        return {"size": self.size, "leaders": self.leaders, "floor": self.floor}

    def __setstate__(self, state: object) -> None:
        if isinstance(state, tuple):  # saved before the cached ranking: (None, slots)
            state = state[1]
        assert isinstance(state, dict)
        self.size = state["size"]
        self.leaders = state["leaders"]
        self.floor = state["floor"]
        self._ranked = None
        self._joined = {item: joined for joined, item in enumerate(self.leaders)}
        self._next = len(self._joined)
        self._rebuild()


@dataclass(kw_only=True, slots=True, eq=False)
class Trending:
    """Products by behaviour-weighted interactions, halving every ``half_life`` seconds.

    Examples:
        >>> from shopstream.core import CustomerId
        >>> from shopstream.recommend.interactions import Behaviour
        >>> model = Trending(half_life=60.0)
        >>> for item, at in [("old", 0.0), ("old", 0.0), ("new", 120.0)]:
        ...     model.partial_fit(Interaction(CustomerId("c"), ProductId(item), Behaviour.VIEW, at))
        >>> [(s.product_id, s.reason) for s in model.recommend([], k=2)]
        [('new', 'trending'), ('old', 'trending')]
    """

    weights: BehaviourWeights = DEFAULT_WEIGHTS
    half_life: float = 86_400.0
    size: int = 500
    _decay: ForwardDecay = field(init=False, repr=False)
    _scores: dict[ProductId, float] = field(init=False, repr=False)
    _board: _Leaderboard = field(init=False, repr=False)
    # The answer made of the board's last ranking, while the board hands out that ranking.
    _answer: tuple[list[tuple[ProductId, float]], list[Scored]] | None = field(
        default=None, init=False, repr=False
    )

    def __post_init__(self) -> None:
        require_positive("Trending", "half_life", self.half_life)
        require_at_least("Trending", "size", self.size, 1)
        self._reset()

    def _reset(self) -> None:
        self._decay = ForwardDecay(self.half_life)
        self._scores = {}
        self._board = _Leaderboard(self.size)

    def fit(self, interactions: Iterable[Interaction]) -> None:
        """Forget everything, then learn ``interactions``."""
        self._reset()
        for interaction in interactions:
            self.partial_fit(interaction)

    def partial_fit(self, interaction: Interaction) -> None:
        weight = self.weights.of(interaction.behaviour)
        if weight <= 0:
            return
        rescale = self._decay.advance(interaction.at)
        if rescale != 1.0:
            for item in self._scores:
                self._scores[item] *= rescale
            self._board.scale(rescale)
        item = interaction.product_id
        score = self._scores.get(item, 0.0) + weight * self._decay.factor(interaction.at)
        self._scores[item] = score
        self._board.offer(item, score)

    def score(self, product_id: ProductId, at: float) -> float:
        """``product_id``'s decayed popularity at ``at``."""
        return self._decay.value(self._scores.get(product_id, 0.0), at)

    def recommend(
        self,
        history: Sequence[Interaction],
        k: int = 10,
        *,
        exclude: Collection[ProductId] = frozenset(),
    ) -> list[Scored]:
        """The trending products; ``history`` does not change them."""
        require_at_least("Trending", "k", k, 1)
        ranked = self._board.ranked(k, exclude)
        cached = getattr(self, "_answer", None)  # absent from states saved before it
        if cached is None or cached[0] is not ranked:  # the board's ranking changed
            cached = self._answer = (ranked, [Scored(p, s, "trending") for p, s in ranked])
        return list(cached[1])


@dataclass(kw_only=True, slots=True, eq=False)
class CategoryTrending:
    """Trending products of the categories the shopper engages with now.

    A request reads the ``depth`` most recent categories of the history, weighted by
    behaviour and recency (``history_half_life``); each brings its leaderboard, scaled to
    its own best product, so a small category counts as much as a big one.
    """

    weights: BehaviourWeights = DEFAULT_WEIGHTS
    half_life: float = 86_400.0
    size: int = 100
    depth: int = 5
    history_half_life: float = 3600.0
    _decay: ForwardDecay = field(init=False, repr=False)
    _scores: dict[ProductId, float] = field(init=False, repr=False)
    _boards: dict[str, _Leaderboard] = field(init=False, repr=False)
    _category_of: dict[ProductId, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("half_life", "history_half_life"):
            require_positive("CategoryTrending", name, getattr(self, name))
        for name in ("size", "depth"):
            require_at_least("CategoryTrending", name, getattr(self, name), 1)
        self._reset()

    def _reset(self) -> None:
        self._decay = ForwardDecay(self.half_life)
        self._scores = {}
        self._boards = {}
        self._category_of = {}

    def fit(self, interactions: Iterable[Interaction]) -> None:
        """Forget everything, then learn ``interactions``."""
        self._reset()
        for interaction in interactions:
            self.partial_fit(interaction)

    def partial_fit(self, interaction: Interaction) -> None:
        item = interaction.product_id
        category = interaction.category or self._category_of.get(item)
        weight = self.weights.of(interaction.behaviour)
        if category is None or weight <= 0:
            return
        self._category_of[item] = category
        rescale = self._decay.advance(interaction.at)
        if rescale != 1.0:
            for known in self._scores:
                self._scores[known] *= rescale
            for board in self._boards.values():
                board.scale(rescale)
        score = self._scores.get(item, 0.0) + weight * self._decay.factor(interaction.at)
        self._scores[item] = score
        board = self._boards.get(category)
        if board is None:
            board = self._boards[category] = _Leaderboard(self.size)
        board.offer(item, score)

    def recommend(
        self,
        history: Sequence[Interaction],
        k: int = 10,
        *,
        exclude: Collection[ProductId] = frozenset(),
    ) -> list[Scored]:
        require_at_least("CategoryTrending", "k", k, 1)
        categories = weigh_history(
            history,
            self.weights,
            self.history_half_life,
            self.depth,
            key=lambda i: i.category or self._category_of.get(i.product_id),
        )
        scores: dict[ProductId, float] = {}
        best: dict[ProductId, tuple[float, str]] = {}
        for category, weighed in categories.items():
            board = self._boards.get(category)
            if board is None:
                continue
            # A product sits on its category's board only, so a board's k best are all it
            # can bring to the k best overall.
            ranked = board.ranked(min(self.size, k), exclude)
            if not ranked:
                continue
            share = weighed.weight / ranked[0][1]
            for item, value in ranked:
                part = share * value
                scores[item] = scores.get(item, 0.0) + part
                if part > best.get(item, (0.0, ""))[0]:
                    best[item] = (part, category)
        return [Scored(p, s, f"trending in category {best[p][1]}") for p, s in top_k(scores, k)]
