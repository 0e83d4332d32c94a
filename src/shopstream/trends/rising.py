"""What is rising: the emerging keys of a kind with their score, velocity, every window's
count and the significance behind them, as ``GET /v1/trends`` answers.

``velocity`` is the lift of :mod:`shopstream.trends.emerging`: the key's rate in the window
over the rate its own baseline predicts (traffic-adjusted), so 3.0 means three times its
usual pace. ``score`` is ``log2(velocity)``, the doublings over that pace, which ranks like
the lift but adds up sensibly. Only keys that pass the significance gate (``p < alpha`` and
at least ``min_count`` in the window) are answered: a quiet key that doubles from one event
to two is noise, and is not rising.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from shopstream.core import StoreId
from shopstream.trends.queries import as_kind, as_window
from shopstream.trends.rules import WINDOWS, TrendKind, Window
from shopstream.trends.trends import Trends


@dataclass(frozen=True, slots=True)
class Rising:
    """One rising key.

    Attributes:
        key: product id, category key (``Home/Kitchen``) or normalised search term.
        score: ``log2(velocity)``.
        velocity: count in the window over the count its baseline predicts.
        counts: weighted count in every window (5m, 1h, 1d, 7d).
        expected: the count the baseline predicts for the window.
        p_value: chance of a count this high if nothing changed.
        z: normal quantile of ``p_value``.
    """

    key: str
    score: float
    velocity: float
    counts: Mapping[Window, int]
    expected: float
    p_value: float
    z: float


def rising(
    trends: Trends,
    kind: TrendKind | str,
    now: datetime,
    *,
    window: Window | str = Window.HOUR,
    baseline: Window | str = Window.WEEK,
    limit: int = 20,
    alpha: float = 0.01,
    min_count: int = 5,
    store_id: StoreId | None = None,
) -> list[Rising]:
    """The keys of ``kind`` rising fastest in ``window`` against ``baseline``, at most ``limit``.

    Raises:
        InvalidTrendQuery: an unknown kind or window, a baseline not longer than the window,
            or ``alpha`` outside (0, 1); its ``field`` names the argument.
    """
    kind, short = as_kind(kind), as_window(window)
    long = as_window(baseline, "baseline")
    found = trends.emerging(
        kind,
        now,
        short=short,
        baseline=long,
        min_count=min_count,
        alpha=alpha,
        k=limit,
        store_id=store_id,
    )
    return [
        Rising(
            key=e.key,
            score=math.log2(e.lift) if e.lift > 0 else -math.inf,
            velocity=e.lift,
            counts={w: trends.count(kind, e.key, w, now, store_id=store_id) for w in WINDOWS},
            expected=e.expected,
            p_value=e.p_value,
            z=e.z,
        )
        for e in found
    ]
