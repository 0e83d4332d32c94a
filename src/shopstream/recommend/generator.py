"""The roles a recommender can play: answer requests, learn in batch, learn one event at a time.

Every candidate generator answers ``recommend(history, k, exclude=...)``; those that learn
offer ``fit(interactions)`` (batch, replacing what they knew) and, when they can keep up
with the stream, ``partial_fit(interaction)``. :class:`~shopstream.recommend.Blend` and
the offline evaluation use nothing else.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Protocol, runtime_checkable

from shopstream.core import ProductId
from shopstream.recommend.interactions import Interaction
from shopstream.recommend.scored import Scored


@runtime_checkable
class CandidateGenerator(Protocol):
    def recommend(
        self,
        history: Sequence[Interaction],
        k: int = 10,
        *,
        exclude: Collection[ProductId] = frozenset(),
    ) -> list[Scored]:
        """At most ``k`` products for a shopper whose interactions, oldest first, are
        ``history``; never one in ``exclude``; best first."""
        ...


@runtime_checkable
class BatchLearner(Protocol):
    def fit(self, interactions: Iterable[Interaction]) -> None:
        """Learn from ``interactions`` alone, forgetting what was learnt before."""
        ...


@runtime_checkable
class OnlineLearner(Protocol):
    def partial_fit(self, interaction: Interaction) -> None:
        """Learn from one more interaction, as it happens."""
        ...
