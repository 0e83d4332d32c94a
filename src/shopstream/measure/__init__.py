"""Measure: what the loop achieves. The live activity of the stream that the marketers'
dashboard shows (events per second by channel, the shopping funnel, orders, revenue and
conversion); exposures and the decisions log (every answer, readable by its id);
experiment and holdout assignment (:func:`assign`); attribution of conversions to touches
(:func:`attribute`); the ordered funnel per customer (:func:`funnel`); always-valid
sequential tests (:func:`msprt`).

With numpy and scipy (``pip install 'shopstream[ml]'``), imported from their modules:
:mod:`~shopstream.measure.proportions` (two-proportion z-test),
:mod:`~shopstream.measure.welch` (Welch's t-test), :mod:`~shopstream.measure.cuped`
(variance reduction), :mod:`~shopstream.measure.srm` (sample-ratio mismatch) and
:mod:`~shopstream.measure.offpolicy` (IPS, SNIPS and doubly robust policy values).
"""

from __future__ import annotations

from shopstream.measure.activity import FUNNEL, Activity, FunnelStage, Kpis, Rates
from shopstream.measure.assignment import HOLDOUT, assign
from shopstream.measure.attribution import (
    Attribution,
    AttributionModel,
    Conversion,
    Credit,
    FirstTouch,
    Journey,
    LastTouch,
    Linear,
    PositionBased,
    TimeDecay,
    Touch,
    TouchKey,
    attribute,
)
from shopstream.measure.decisions import (
    DecisionLog,
    LoggedDecision,
    MemoryDecisionLog,
    actions_from_json,
    actions_to_json,
    ranked_in_order,
)
from shopstream.measure.errors import (
    InvalidExperiment,
    InvalidMeasureInput,
    MeasureError,
    MissingExtra,
)
from shopstream.measure.exposures import Exposure, ExposureLog
from shopstream.measure.funnel import FunnelCounts, FunnelEvent, funnel
from shopstream.measure.journeys import CustomerTouch, click_touches, join, served_touches
from shopstream.measure.outcomes import (
    MeasuredEvent,
    MemoryOutcomeLog,
    OutcomeLog,
    measured_event,
    order_value,
)
from shopstream.measure.reports import (
    MODELS,
    attribution_report,
    channel_report,
    funnel_report,
    model_named,
)
from shopstream.measure.sequential import Look, SequentialTest, mixture_likelihood_ratio, msprt

__all__ = (
    "FUNNEL",
    "HOLDOUT",
    "MODELS",
    "Activity",
    "Attribution",
    "AttributionModel",
    "Conversion",
    "Credit",
    "CustomerTouch",
    "DecisionLog",
    "Exposure",
    "ExposureLog",
    "FirstTouch",
    "FunnelCounts",
    "FunnelEvent",
    "FunnelStage",
    "InvalidExperiment",
    "InvalidMeasureInput",
    "Journey",
    "Kpis",
    "LastTouch",
    "Linear",
    "LoggedDecision",
    "Look",
    "MeasureError",
    "MeasuredEvent",
    "MemoryDecisionLog",
    "MemoryOutcomeLog",
    "MissingExtra",
    "OutcomeLog",
    "PositionBased",
    "Rates",
    "SequentialTest",
    "TimeDecay",
    "Touch",
    "TouchKey",
    "actions_from_json",
    "actions_to_json",
    "assign",
    "attribute",
    "attribution_report",
    "channel_report",
    "click_touches",
    "funnel",
    "funnel_report",
    "join",
    "measured_event",
    "mixture_likelihood_ratio",
    "model_named",
    "msprt",
    "order_value",
    "ranked_in_order",
    "served_touches",
)
