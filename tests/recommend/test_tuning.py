from __future__ import annotations

import pytest

from shopstream.recommend import InvalidRecommenderParams
from shopstream.recommend.evaluation.tuning import Params, coordinate_ascent


def test_coordinate_ascent_finds_the_best_of_a_separable_grid_with_few_trials() -> None:
    calls: list[Params] = []

    def objective(params: Params) -> float:
        calls.append(params)
        x, y = params["x"], params["y"]
        assert isinstance(x, int) and isinstance(y, int)
        return -((x - 3) ** 2) - (y - 1) ** 2

    search = coordinate_ascent(objective, {"x": (0, 1, 2, 3, 4), "y": (0, 1, 2)})
    assert search.best == {"x": 3, "y": 1}
    assert search.score == 0
    assert search.trials == len(calls) < 5 * 3


def test_ties_keep_the_first_value() -> None:
    search = coordinate_ascent(lambda params: 1.0, {"a": ("first", "second")})
    assert search.best == {"a": "first"}


def test_every_parameter_needs_a_value() -> None:
    with pytest.raises(InvalidRecommenderParams, match="at least one value"):
        coordinate_ascent(lambda params: 0.0, {"a": ()})
