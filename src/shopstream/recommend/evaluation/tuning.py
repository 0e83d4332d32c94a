"""Hyper-parameter search on a validation split: coordinate ascent over a grid.

Starting from the first value of every parameter, each parameter in turn takes the grid
value that scores best with the others held; rounds repeat until nothing improves. Every
setting is scored once (cached), so a grid of a few values per parameter costs far fewer
trials than the full product, and a one-parameter grid is searched exhaustively.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from shopstream.recommend.errors import InvalidRecommenderParams

logger = logging.getLogger(__name__)

Params = dict[str, object]


@dataclass(frozen=True, slots=True)
class Search:
    """The best setting found, its score and how many settings were scored."""

    best: Params
    score: float
    trials: int


def coordinate_ascent(
    objective: Callable[[Params], float],
    grid: Mapping[str, Sequence[object]],
    rounds: int = 3,
) -> Search:
    """Maximise ``objective`` over ``grid`` (ties keep the earlier setting)."""
    empty = [name for name, values in grid.items() if not values]
    if empty:
        msg = f"every grid parameter needs at least one value; {empty} have none"
        raise InvalidRecommenderParams(msg, field="grid")
    scored: dict[tuple[tuple[str, str], ...], float] = {}

    def score(params: Params) -> float:
        key = tuple(sorted((name, repr(value)) for name, value in params.items()))
        if key not in scored:
            scored[key] = objective(params)
            logger.debug("trial %s -> %.5f", params, scored[key])
        return scored[key]

    current: Params = {name: values[0] for name, values in grid.items()}
    best = score(current)
    for _ in range(rounds):
        improved = False
        for name, values in grid.items():
            if len(values) < 2:
                continue
            for value in values:
                candidate = {**current, name: value}
                result = score(candidate)
                if result > best:
                    current, best, improved = candidate, result, True
        if not improved:
            break
    return Search(current, best, len(scored))
