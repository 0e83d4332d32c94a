"""Backtests of emerging-trend detection on real datasets: replay the events, flag what is
rising, and judge the flags against the keys that really entered a period's top, against a
plain moving-average detector in the same run (``shopstream evaluate-trends``)."""

from __future__ import annotations

from shopstream.trends.backtest.protocol import PROTOCOLS, RETAIL, TAOBAO, Protocol, Sighting
from shopstream.trends.backtest.replay import Candidate, Replay, replay
from shopstream.trends.backtest.report import Report, evaluate, splits
from shopstream.trends.backtest.scoring import (
    Score,
    Tuned,
    emerging_rule,
    entries,
    judge,
    moving_average_rule,
    tune,
)

__all__ = (
    "PROTOCOLS",
    "RETAIL",
    "TAOBAO",
    "Candidate",
    "Protocol",
    "Replay",
    "Report",
    "Score",
    "Sighting",
    "Tuned",
    "emerging_rule",
    "entries",
    "evaluate",
    "judge",
    "moving_average_rule",
    "replay",
    "splits",
    "tune",
)
