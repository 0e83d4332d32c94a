"""Trends: sliding-window counts and emerging-trend detection for products, categories and
search terms, for all channels and per store, and the external signals (weather) in force.

:class:`Trends` is fed the log in offset order like the other processors; :class:`TrendStore`
is the port that ``storage/`` backends implement.
"""

from __future__ import annotations

from shopstream.trends.counter import WindowedCounter
from shopstream.trends.emerging import Emerging
from shopstream.trends.errors import (
    InvalidTrendQuery,
    InvalidTrendRules,
    InvalidTrendSnapshot,
    TrendError,
)
from shopstream.trends.live import LiveTrends
from shopstream.trends.queries import Ranked
from shopstream.trends.rising import Rising, rising
from shopstream.trends.rules import COUNTED_EVENTS, WINDOWS, Layout, TrendKind, TrendRules, Window
from shopstream.trends.signals import Signal, SignalValue
from shopstream.trends.store import MemoryTrendStore, TrendStore
from shopstream.trends.terms import normalize_query
from shopstream.trends.trends import ProductLookup, Trends

__all__ = (
    "COUNTED_EVENTS",
    "WINDOWS",
    "Emerging",
    "InvalidTrendQuery",
    "InvalidTrendRules",
    "InvalidTrendSnapshot",
    "Layout",
    "LiveTrends",
    "MemoryTrendStore",
    "ProductLookup",
    "Ranked",
    "Rising",
    "Signal",
    "SignalValue",
    "TrendError",
    "TrendKind",
    "TrendRules",
    "TrendStore",
    "Trends",
    "Window",
    "WindowedCounter",
    "normalize_query",
    "rising",
)
