"""What a trend backtest replays and how it judges: sightings, periods, checkpoints, grids."""

from __future__ import annotations

from dataclasses import dataclass

from shopstream.trends.errors import InvalidTrendRules
from shopstream.trends.rules import Window


@dataclass(frozen=True, slots=True)
class Sighting:
    """One event of a dataset as trends count it: a product (and its category, if known)
    seen at ``at`` (epoch seconds) by ``event`` (an e-commerce spec name)."""

    at: float
    product_id: str
    category: str | None
    event: str


@dataclass(frozen=True, slots=True)
class Protocol:
    """How a dataset is cut and judged.

    Args:
        name: the dataset.
        period_seconds: the length of a period whose top ``top_k`` is the ground truth (a day
            for Online Retail, ten minutes for Taobao).
        check_seconds: how often the detectors run (flags are taken at these checkpoints,
            each seeing only the events before it); lead times are multiples of it.
        short: the detectors' recent window.
        baseline: the window the recent one is compared with.
        warmup_periods: periods that only fill the baselines; entries and flags in them are
            not judged (everything is "new" at first).
        validation_share: the share of the judged periods, from the start, used to choose
            each detector's thresholds; the figures are reported on the periods after them.
        horizon: a flag comes true when its key first enters the top in the flag's period or
            the next ``horizon`` ones.
        alphas: the significance levels the detector is tuned over.
        ratios: the moving-average baseline's ratio thresholds (count over average).
        min_counts: both detectors' minimum weighted counts in ``short``.
        prior_rates: the detector's :attr:`TrendRules.prior_rate_per_hour` values tried (the
            expected weighted events an hour of a key with no history); the first is the
            default of the rules.
    """

    name: str
    period_seconds: int
    check_seconds: int
    short: Window
    baseline: Window
    warmup_periods: int
    validation_share: float = 0.5
    horizon: int = 1
    top_k: int = 20
    alphas: tuple[float, ...] = (0.1, 0.05, 1e-2, 1e-3, 1e-4, 1e-6, 1e-8, 1e-12)
    ratios: tuple[float, ...] = (1.25, 1.5, 2.0, 3.0, 5.0, 10.0)
    min_counts: tuple[int, ...] = (3, 5, 10, 20)
    prior_rates: tuple[float, ...] = (1 / 24, 0.5, 2.0, 8.0, 32.0)

    def __post_init__(self) -> None:
        if self.period_seconds % self.check_seconds:
            msg = f"check_seconds ({self.check_seconds}) must divide period_seconds ({self.period_seconds})"
            raise InvalidTrendRules(msg, field="check_seconds")
        if Window(self.baseline).tier <= Window(self.short).tier:
            msg = f"baseline must be longer than short; got {self.short} and {self.baseline}"
            raise InvalidTrendRules(msg, field="baseline")
        if not self.prior_rates:
            msg = "prior_rates needs at least one value"
            raise InvalidTrendRules(msg, field="prior_rates")
        if not 0 < self.validation_share < 1:
            msg = f"validation_share must be in (0, 1); got {self.validation_share}"
            raise InvalidTrendRules(msg, field="validation_share")


RETAIL = Protocol(
    name="retail",
    period_seconds=86_400,
    check_seconds=3_600,
    short=Window.DAY,
    baseline=Window.WEEK,
    warmup_periods=14,
    # Every Online Retail event is an order line, weighted 5: these are 2 to 16 lines a day.
    min_counts=(10, 20, 40, 80),
)
TAOBAO = Protocol(
    name="taobao",
    period_seconds=600,
    check_seconds=60,
    short=Window.FIVE_MINUTES,
    baseline=Window.HOUR,
    warmup_periods=3,
)
PROTOCOLS = {p.name: p for p in (RETAIL, TAOBAO)}
