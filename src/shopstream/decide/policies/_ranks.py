"""Turning per-arm scores into a :class:`Ranking`, ties broken by the order arms were given."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from shopstream.decide._numpy import Vector, np
from shopstream.decide.ranking import Action, ArmId, Ranking


def rank(
    arms: Sequence[ArmId],
    scores: Vector,
    propensities: Vector,
    reason: Callable[[int], str],
    *,
    count: int,
    policy: str,
    first: int | None = None,
) -> Ranking:
    """The ``count`` best arms by score, highest first; equal scores keep the arms' order.

    ``first``, when given, is the index of the arm chosen first whatever its score (an
    exploring draw); ``reason(i)`` explains arm ``i``.
    """
    order = np.argsort(-scores, kind="stable").tolist()  # ties keep the arms' order
    if first is not None:
        order.remove(first)
        order.insert(0, first)
    return Ranking(
        tuple(
            Action(arms[i], float(scores[i]), float(propensities[i]), reason(i))
            for i in order[:count]
        ),
        policy,
    )
