"""When shoppers shop: a daily and weekly rhythm in local time, and store opening hours."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

# Quiet nights, a lunchtime peak, and the busiest hours in the evening.
_HOURLY = (
    0.30, 0.15, 0.08, 0.05, 0.05, 0.08, 0.20, 0.45, 0.60, 0.70, 0.80, 0.90,
    1.35, 1.35, 0.95, 0.85, 0.85, 0.95, 1.25, 1.50, 1.55, 1.30, 0.90, 0.55,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class DailyRhythm:
    """How busy shoppers are by local hour and weekday, as a factor on their mean rate.

    ``hourly`` is rescaled to average 1, and the weekday factors so that a week averages 1:
    a shopper with a mean of two sessions a day has fourteen a week, more of them on the
    weekend and at lunchtime and in the evening.

    Examples:
        >>> rhythm = DailyRhythm()
        >>> saturday_evening = datetime(2026, 3, 7, 20)
        >>> tuesday_night = datetime(2026, 3, 3, 4)
        >>> rhythm.intensity(saturday_evening) > 20 * rhythm.intensity(tuesday_night)
        True
        >>> rhythm.is_open(tuesday_night)
        False
    """

    hourly: tuple[float, ...] = _HOURLY
    weekend: float = 1.3
    opens: int = 9
    closes: int = 21

    def __post_init__(self) -> None:
        if len(self.hourly) != 24 or not all(math.isfinite(w) and w >= 0 for w in self.hourly):
            msg = f"hourly must be 24 finite weights >= 0; got {self.hourly!r}"
            raise ValueError(msg)
        if sum(self.hourly) <= 0:
            msg = "hourly must have a positive weight in some hour; got all zeros"
            raise ValueError(msg)
        if not (math.isfinite(self.weekend) and self.weekend > 0):
            msg = f"weekend must be a positive factor; got {self.weekend!r}"
            raise ValueError(msg)
        if not 0 <= self.opens < self.closes <= 24:
            msg = f"store hours must satisfy 0 <= opens < closes <= 24; got {self.opens}-{self.closes}"
            raise ValueError(msg)
        mean = sum(self.hourly) / 24
        object.__setattr__(self, "hourly", tuple(w / mean for w in self.hourly))

    def intensity(self, local: datetime) -> float:
        """The factor on a shopper's mean rate at a local wall-clock time."""
        weekday = 7 / (5 + 2 * self.weekend)
        day = weekday * self.weekend if local.weekday() >= 5 else weekday
        return self.hourly[local.hour] * day

    def is_open(self, local: datetime) -> bool:
        """Whether stores are open at a local wall-clock time."""
        return self.opens <= local.hour < self.closes
