"""Measure: what the loop achieves. For now the live activity of the stream that the
marketers' dashboard shows (events per second by channel, the shopping funnel, orders,
revenue and conversion); exposures, attribution and experiments come with Decide.
"""

from __future__ import annotations

from shopstream.measure.activity import FUNNEL, Activity, FunnelStage, Kpis, Rates
from shopstream.measure.exposures import Exposure, ExposureLog

__all__ = ("FUNNEL", "Activity", "Exposure", "ExposureLog", "FunnelStage", "Kpis", "Rates")
