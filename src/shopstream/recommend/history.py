"""What a shopper's own history says: which items and categories matter now, and buying again.

:func:`weigh_history` is how every generator reads a request's history: each interaction
counts its behaviour's weight, halved every ``half_life`` seconds before the newest one.
:class:`OwnHistory` recommends the shopper's own items by that weight: buying again on a
wholesale shop, going back to a product just viewed on a marketplace.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from shopstream.core import ProductId
from shopstream.recommend.interactions import (
    DEFAULT_WEIGHTS,
    Behaviour,
    BehaviourWeights,
    Interaction,
)
from shopstream.recommend.params import require_at_least, require_positive
from shopstream.recommend.scored import Scored, top_k

_REASONS = {
    Behaviour.ORDER: "you bought this before",
    Behaviour.CART: "in your cart",
    Behaviour.WISHLIST: "on your wish list",
    Behaviour.VIEW: "you viewed this recently",
}


@dataclass(frozen=True, slots=True)
class Weighed:
    """The weight of one key (item or category) in a history and the strongest behaviour."""

    weight: float
    strongest: Behaviour


def weigh_history(
    history: Sequence[Interaction],
    weights: BehaviourWeights,
    half_life: float,
    depth: int | None = None,
    key: Callable[[Interaction], str | None] = lambda i: i.product_id,
) -> dict[str, Weighed]:
    """Recency-weighted keys of ``history`` (oldest first), newest keys first.

    Only the ``depth`` most recently touched keys are kept (all when ``None``); each sums
    ``weight(behaviour) * 2 ** (-(newest - at) / half_life)`` over its interactions.

    Examples:
        >>> from shopstream.core import CustomerId
        >>> c = CustomerId("c")
        >>> h = [Interaction(c, ProductId("a"), Behaviour.ORDER, 0.0),
        ...      Interaction(c, ProductId("b"), Behaviour.VIEW, 60.0)]
        >>> weigh_history(h, BehaviourWeights(), half_life=60.0)
        {'b': Weighed(weight=1.0, strongest=<Behaviour.VIEW: 'view'>), 'a': Weighed(weight=2.0, strongest=<Behaviour.ORDER: 'order'>)}
    """
    if not history:
        return {}
    newest = max(interaction.at for interaction in history)
    found: dict[str, tuple[float, Behaviour]] = {}
    for interaction in reversed(history):
        name = key(interaction)
        if name is None:
            continue
        known = found.get(name)
        if known is None and depth is not None and len(found) >= depth:
            continue
        age = newest - interaction.at
        weight = weights.of(interaction.behaviour) * math.exp2(-age / half_life)
        if known is None:
            found[name] = (weight, interaction.behaviour)
        else:
            strongest = max(known[1], interaction.behaviour, key=_RANK.__getitem__)
            found[name] = (known[0] + weight, strongest)
    return {name: Weighed(w, b) for name, (w, b) in found.items() if w > 0}


_RANK = {behaviour: rank for rank, behaviour in enumerate(Behaviour)}


@dataclass(kw_only=True, slots=True, eq=False)
class OwnHistory:
    """The shopper's own items, by recency- and behaviour-weighted frequency.

    Examples:
        >>> from shopstream.core import CustomerId
        >>> c = CustomerId("c")
        >>> history = [Interaction(c, ProductId("a"), Behaviour.ORDER, 0.0),
        ...            Interaction(c, ProductId("b"), Behaviour.VIEW, 10.0)]
        >>> [s.reason for s in OwnHistory(half_life=3600.0).recommend(history, k=2)]
        ['you bought this before', 'you viewed this recently']
    """

    weights: BehaviourWeights = DEFAULT_WEIGHTS
    half_life: float = 86_400.0

    def __post_init__(self) -> None:
        require_positive("OwnHistory", "half_life", self.half_life)

    def recommend(
        self,
        history: Sequence[Interaction],
        k: int = 10,
        *,
        exclude: Collection[ProductId] = frozenset(),
    ) -> list[Scored]:
        require_at_least("OwnHistory", "k", k, 1)
        weighed = weigh_history(history, self.weights, self.half_life)
        scores = {ProductId(p): w.weight for p, w in weighed.items() if p not in exclude}
        return [Scored(p, s, _REASONS[weighed[p].strongest]) for p, s in top_k(scores, k)]
