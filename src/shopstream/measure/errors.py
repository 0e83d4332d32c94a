"""Errors of the measure package."""

from __future__ import annotations

from shopstream.core import ShopstreamError


class MeasureError(ShopstreamError):
    code = "measure.error"


class InvalidMeasureInput(MeasureError, ValueError):
    """Data given to a statistic or estimator is malformed; ``field`` names the argument."""

    code = "measure.invalid-input"


class InvalidExperiment(MeasureError, ValueError):
    """An experiment's split (variants, weights, holdout) is malformed; ``field`` names it."""

    code = "measure.invalid-experiment"


class MissingExtra(MeasureError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""

    code = "measure.missing-extra"
