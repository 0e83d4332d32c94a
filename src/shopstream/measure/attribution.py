"""Multi-touch attribution: which touches earned each conversion, and how much of it.

A customer's :class:`Journey` holds their touches (a channel, a placement and the trigger
or offer shown, at a time) and their conversions (a time and the revenue). Each conversion
is shared among the touches in its lookback window, ``conversion.at - lookback <= touch.at
<= conversion.at``, by the weights of a model (they sum to 1):

- :class:`LastTouch` and :class:`FirstTouch`: all to the latest or earliest touch;
- :class:`Linear`: equal shares;
- :class:`TimeDecay`: proportional to ``2 ** (-(conversion.at - touch.at) / half_life)``;
- :class:`PositionBased`: ``first`` to the first touch, ``last`` to the last, the rest
  split equally among those between (40/20/40 by default); a lone touch takes all and two
  touches split it in proportion to ``first`` and ``last``.

Each conversion is judged on its own: a touch may share in several conversions.
Conversions with no touch in their window are counted as ``unattributed``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from shopstream.core import CustomerId
from shopstream.measure.errors import InvalidMeasureInput


@dataclass(frozen=True, slots=True)
class TouchKey:
    """What was shown, where: the unit credit is given to."""

    channel: str
    placement: str
    offer_id: str
    trigger_id: str = ""


@dataclass(frozen=True, slots=True)
class Touch:
    """One exposure of a customer to an offer (``offer_id``) at ``at``, from the trigger
    ``trigger_id`` when a trigger sent it (``""`` for answers served on request)."""

    channel: str
    placement: str
    offer_id: str
    at: datetime
    trigger_id: str = ""

    @property
    def key(self) -> TouchKey:
        return TouchKey(self.channel, self.placement, self.offer_id, self.trigger_id)


@dataclass(frozen=True, slots=True)
class Conversion:
    at: datetime
    revenue: float


@dataclass(frozen=True, slots=True)
class Journey:
    """One customer's touches and conversions (each in any order; they are sorted by time)."""

    customer_id: CustomerId
    touches: Sequence[Touch]
    conversions: Sequence[Conversion]


@dataclass(frozen=True, slots=True)
class Credit:
    """Fractional ``conversions`` and the ``revenue`` they bring."""

    conversions: float = 0.0
    revenue: float = 0.0

    def __add__(self, other: Credit) -> Credit:
        return Credit(self.conversions + other.conversions, self.revenue + other.revenue)


@dataclass(frozen=True, slots=True)
class Attribution:
    """Credit per touch key and its totals per channel, placement, offer and trigger."""

    by_touch: dict[TouchKey, Credit]
    by_channel: dict[str, Credit]
    by_placement: dict[str, Credit]
    by_offer: dict[str, Credit]
    unattributed: Credit
    by_trigger: dict[str, Credit] = field(default_factory=dict)


class AttributionModel(Protocol):
    def weights(self, touches: Sequence[datetime], conversion: datetime) -> list[float]:
        """Shares (summing to 1) of the time-ordered, non-empty ``touches``."""
        ...


@dataclass(frozen=True, slots=True)
class LastTouch:
    def weights(self, touches: Sequence[datetime], conversion: datetime) -> list[float]:
        return [0.0] * (len(touches) - 1) + [1.0]


@dataclass(frozen=True, slots=True)
class FirstTouch:
    def weights(self, touches: Sequence[datetime], conversion: datetime) -> list[float]:
        return [1.0] + [0.0] * (len(touches) - 1)


@dataclass(frozen=True, slots=True)
class Linear:
    def weights(self, touches: Sequence[datetime], conversion: datetime) -> list[float]:
        return [1 / len(touches)] * len(touches)


@dataclass(frozen=True, slots=True)
class TimeDecay:
    """A touch's weight halves for every ``half_life`` between it and the conversion."""

    half_life: timedelta

    def __post_init__(self) -> None:
        if self.half_life <= timedelta(0):
            msg = f"TimeDecay.half_life must be positive; got {self.half_life!r}"
            raise InvalidMeasureInput(msg, field="half_life")

    def weights(self, touches: Sequence[datetime], conversion: datetime) -> list[float]:
        raw = [0.5 ** ((conversion - at) / self.half_life) for at in touches]
        total = sum(raw)
        return [w / total for w in raw]


@dataclass(frozen=True, slots=True)
class PositionBased:
    """``first`` and ``last`` shares for the ends, the rest to the middle (U-shaped)."""

    first: float = 0.4
    last: float = 0.4

    def __post_init__(self) -> None:
        if not (self.first >= 0 and self.last >= 0 and 0 < self.first + self.last <= 1):
            msg = f"PositionBased needs first, last >= 0 and 0 < first + last <= 1; got {self.first!r}, {self.last!r}"
            raise InvalidMeasureInput(msg, field="first")

    def weights(self, touches: Sequence[datetime], conversion: datetime) -> list[float]:
        if len(touches) == 1:
            return [1.0]
        ends = self.first + self.last
        if len(touches) == 2:
            return [self.first / ends, self.last / ends]
        middle = (1 - ends) / (len(touches) - 2)
        return [self.first] + [middle] * (len(touches) - 2) + [self.last]


def attribute(
    journeys: Iterable[Journey], model: AttributionModel, *, lookback: timedelta
) -> Attribution:
    """Share every conversion among the touches in its lookback window by ``model``.

    Raises:
        InvalidMeasureInput: ``lookback`` is negative.

    Examples:
        >>> t0 = datetime(2026, 3, 1)
        >>> journey = Journey(CustomerId("c1"), [Touch("email", "email", "spring", t0),
        ...     Touch("web", "cart", "10off", t0 + timedelta(hours=1))],
        ...     [Conversion(t0 + timedelta(hours=2), 50.0)])
        >>> result = attribute([journey], Linear(), lookback=timedelta(days=7))
        >>> result.by_channel["email"]
        Credit(conversions=0.5, revenue=25.0)
    """
    if lookback < timedelta(0):
        msg = f"lookback must be >= 0; got {lookback!r}"
        raise InvalidMeasureInput(msg, field="lookback")
    by_touch: dict[TouchKey, Credit] = defaultdict(Credit)
    unattributed = Credit()
    for journey in journeys:
        touches = sorted(journey.touches, key=lambda touch: touch.at)
        for conversion in journey.conversions:
            window = [t for t in touches if conversion.at - lookback <= t.at <= conversion.at]
            if not window:
                unattributed += Credit(1.0, conversion.revenue)
                continue
            shares = model.weights([t.at for t in window], conversion.at)
            for touch, share in zip(window, shares, strict=True):
                by_touch[touch.key] += Credit(share, share * conversion.revenue)
    return Attribution(
        by_touch=dict(by_touch),
        by_channel=_total(by_touch, lambda key: key.channel),
        by_placement=_total(by_touch, lambda key: key.placement),
        by_offer=_total(by_touch, lambda key: key.offer_id),
        unattributed=unattributed,
        by_trigger=_total(by_touch, lambda key: key.trigger_id),
    )


def _total(by_touch: dict[TouchKey, Credit], part: Callable[[TouchKey], str]) -> dict[str, Credit]:
    totals: dict[str, Credit] = defaultdict(Credit)
    for key, credit in by_touch.items():
        totals[part(key)] += credit
    return dict(totals)
