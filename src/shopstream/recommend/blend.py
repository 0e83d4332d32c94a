"""Blending candidate generators into one ranked answer, each item with its reason.

Each generator answers up to ``depth`` candidates; their scores are scaled so each list's
best is 1, weighted, and summed per product. A product's reason is that of the generator
that contributed most to it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from shopstream.core import ProductId
from shopstream.recommend.errors import InvalidRecommenderParams
from shopstream.recommend.generator import BatchLearner, CandidateGenerator, OnlineLearner
from shopstream.recommend.interactions import Interaction
from shopstream.recommend.params import require_at_least, require_non_negative
from shopstream.recommend.scored import Scored, top_k


def fuse(
    answers: Mapping[str, Sequence[Scored]], weights: Mapping[str, float], k: int
) -> list[Scored]:
    """The ``k`` best products of several generators' ``answers``, by weighted scaled score.

    Examples:
        >>> fuse({"covisit": [Scored(ProductId("a"), 4.0, "viewed together with x"),
        ...                   Scored(ProductId("b"), 2.0, "viewed together with x")],
        ...       "trending": [Scored(ProductId("b"), 9.0, "trending")]},
        ...      {"covisit": 1.0, "trending": 0.6}, k=2)
        [Scored(product_id='b', score=1.1, reason='trending'), Scored(product_id='a', score=1.0, reason='viewed together with x')]
    """
    scores: dict[ProductId, float] = {}
    reasons: dict[ProductId, tuple[float, Scored]] = {}
    for name, answer in answers.items():
        weight = weights.get(name, 0.0)
        if weight <= 0 or not answer:
            continue
        top = max(scored.score for scored in answer)
        if top <= 0:
            continue
        for scored in answer:
            part = weight * scored.score / top
            if part <= 0:
                continue
            item = scored.product_id
            scores[item] = scores.get(item, 0.0) + part
            known = reasons.get(item)
            if known is None or part > known[0]:
                reasons[item] = (part, scored)
    return [Scored(p, s, reasons[p][1].reason, reasons[p][1].about) for p, s in top_k(scores, k)]


@dataclass(kw_only=True, slots=True, eq=False)
class Blend:
    """Named candidate generators and the weight of each; learns and answers as one.

    Examples:
        >>> from shopstream.core import CustomerId
        >>> from shopstream.recommend.covisitation import CoVisitation
        >>> from shopstream.recommend.interactions import Behaviour
        >>> from shopstream.recommend.trending import Trending
        >>> blend = Blend(generators={"covisit": CoVisitation(), "trending": Trending()},
        ...               weights={"covisit": 1.0, "trending": 0.2})
        >>> for who, item, at in [("a", "p1", 0), ("a", "p2", 5), ("b", "p3", 9), ("b", "p3", 9)]:
        ...     blend.partial_fit(Interaction(CustomerId(who), ProductId(item), Behaviour.VIEW, at))
        >>> history = [Interaction(CustomerId("c"), ProductId("p1"), Behaviour.VIEW, 20.0)]
        >>> [(s.product_id, s.reason) for s in blend.recommend(history, k=3)]
        [('p2', 'viewed together with p1'), ('p3', 'trending'), ('p1', 'trending')]
    """

    generators: Mapping[str, CandidateGenerator]
    weights: Mapping[str, float]
    depth: int = 100
    # Which generators learn online, found once: a runtime protocol check costs microseconds,
    # and partial_fit runs for every event.
    _online: tuple[OnlineLearner, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.weights) - set(self.generators))
        if unknown:
            msg = f"Blend.weights name generators it does not have: {unknown}; has {sorted(self.generators)}"
            raise InvalidRecommenderParams(msg, field="weights")
        for name, weight in self.weights.items():
            require_non_negative("Blend", f"weights[{name!r}]", weight)
        require_at_least("Blend", "depth", self.depth, 1)
        self._online = tuple(g for g in self.generators.values() if isinstance(g, OnlineLearner))

    def fit(self, interactions: Iterable[Interaction]) -> None:
        """Fit every generator that learns in batch (or online) on ``interactions``."""
        seen = list(interactions)
        for generator in self.generators.values():
            if isinstance(generator, BatchLearner):
                generator.fit(seen)

    def partial_fit(self, interaction: Interaction) -> None:
        """Teach ``interaction`` to every generator that learns online."""
        for generator in self._online:
            generator.partial_fit(interaction)

    def answers(
        self, history: Sequence[Interaction], exclude: Collection[ProductId] = frozenset()
    ) -> dict[str, list[Scored]]:
        """Each weighted generator's ``depth`` candidates for ``history``."""
        return {
            name: generator.recommend(history, self.depth, exclude=exclude)
            for name, generator in self.generators.items()
            if self.weights.get(name, 0.0) > 0
        }

    def recommend(
        self,
        history: Sequence[Interaction],
        k: int = 10,
        *,
        exclude: Collection[ProductId] = frozenset(),
    ) -> list[Scored]:
        require_at_least("Blend", "k", k, 1)
        return fuse(self.answers(history, exclude), self.weights, k)
