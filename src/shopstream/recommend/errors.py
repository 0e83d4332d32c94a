"""Errors of the recommend package."""

from __future__ import annotations

from shopstream.core import ShopstreamError


class RecommendError(ShopstreamError):
    code = "recommend.error"


class InvalidRecommenderParams(RecommendError, ValueError):
    """A hyper-parameter is out of range; ``field`` names it."""

    code = "recommend.invalid-params"


class NotFitted(RecommendError, RuntimeError):
    """A batch-trained recommender was asked to recommend before ``fit``."""

    code = "recommend.not-fitted"


class MissingExtra(RecommendError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""

    code = "recommend.missing-extra"


class InvalidDataset(RecommendError, ValueError):
    """An evaluation dataset is missing or malformed; ``field`` names the file or column."""

    code = "recommend.invalid-dataset"


class FitFailed(RecommendError, ArithmeticError):
    """Training hit a numerical failure (a matrix that should be invertible is not)."""

    code = "recommend.fit-failed"
