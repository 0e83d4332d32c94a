"""Ad bid multipliers: segment membership, the advertised category's trend and the external
signals in force in the bid's region, each a factor with its reason.

The bid path must answer in microseconds (DESIGN.md: an ad bid in-process under 100 µs at
p99), so nothing is computed per call that can be computed before:

- segment factors and their reasons are built once from the rules;
- the trend and signal factors of a ``(category, region)`` pair, and their reasons, are
  computed on its first bid and reused for :attr:`BidRules.refresh_seconds` (5 s), then
  computed again; all pairs are dropped together when the period turns (or when more than
  ``max_places`` are held, so memory stays bounded).

A bid is then two dict lookups, a few multiplications and one small tuple. The multiplier is
the product of the factors, clamped to ``[floor, ceiling]``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime

from shopstream.catalog import category_key, parse_category
from shopstream.core import CustomerId
from shopstream.decide.bid_rules import BidRules
from shopstream.decide.membership import SegmentMembership
from shopstream.trends import TrendKind, Trends


@dataclass(frozen=True, slots=True)
class BidReason:
    """Why a factor applies: ``kind`` is ``segment``, ``trend``, ``signal`` or ``clamp``."""

    kind: str
    key: str
    multiplier: float
    detail: str


@dataclass(frozen=True, slots=True)
class BidRequest:
    """What a bid is for. ``segments`` are named by the caller (an audience the ad platform
    matched); the customer's own segments are added from :class:`SegmentMembership`."""

    campaign: str
    category: str | None = None
    region: str | None = None
    segments: tuple[str, ...] = ()
    customer_id: CustomerId | None = None


@dataclass(frozen=True, slots=True)
class Bid:
    multiplier: float
    reasons: tuple[BidReason, ...]


_NONE: tuple[BidReason, ...] = ()


class Bidder:
    """Bid multipliers by :class:`BidRules` over live trends and segment membership.

    Args:
        rules: the multipliers.
        trends: returns the live :class:`Trends` (a getter: a restart may replace them).
        segments: the membership port, or ``None`` when no segments are kept.
        max_places: the most ``(category, region)`` pairs held precomputed.

    Examples:
        >>> bidder = Bidder(BidRules(), lambda: Trends())
        >>> bid = bidder.bid(BidRequest("c1", segments=("high_value",)), now=0.0)
        >>> bid.multiplier, [r.kind for r in bid.reasons]
        (1.3, ['segment'])
    """

    __slots__ = (
        "_expires",
        "_places",
        "_segment_factors",
        "max_places",
        "rules",
        "segments",
        "trends",
    )

    def __init__(
        self,
        rules: BidRules,
        trends: Callable[[], Trends],
        segments: SegmentMembership | None = None,
        *,
        max_places: int = 50_000,
    ) -> None:
        self.rules = rules
        self.trends = trends
        self.segments = segments
        self.max_places = max_places
        self._segment_factors = {
            name: (value, BidReason("segment", name, value, f"customer in segment {name}"))
            for name, value in rules.segments.items()
        }
        self._places: dict[tuple[str | None, str | None], tuple[float, tuple[BidReason, ...]]] = {}
        self._expires = -math.inf

    def bid(self, request: BidRequest, *, now: float) -> Bid:
        """The multiplier for ``request`` at ``now`` (epoch seconds), with its reasons."""
        if now >= self._expires or len(self._places) > self.max_places:
            self._places.clear()
            period = self.rules.refresh_seconds
            self._expires = (now // period + 1) * period
        place = (request.category, request.region)
        known = self._places.get(place)
        if known is None:
            known = self._places[place] = self._place(request.category, request.region, now)
        multiplier, reasons = known
        factors = self._segment_factors
        for name in request.segments:
            found = factors.get(name)
            if found is not None:
                multiplier *= found[0]
                reasons = (*reasons, found[1])
        if request.customer_id is not None and self.segments is not None:
            for name in self.segments.segments_of(request.customer_id):
                found = factors.get(name)
                if found is not None and name not in request.segments:
                    multiplier *= found[0]
                    reasons = (*reasons, found[1])
        rules = self.rules
        if multiplier > rules.ceiling or multiplier < rules.floor:
            bound = rules.ceiling if multiplier > rules.ceiling else rules.floor
            clamp = BidReason("clamp", "ceiling" if bound == rules.ceiling else "floor", bound,
                              f"{multiplier:.3f} clamped to {bound}")  # fmt: skip
            return Bid(bound, (*reasons, clamp))
        return Bid(multiplier, reasons)

    def _place(
        self, category: str | None, region: str | None, now: float
    ) -> tuple[float, tuple[BidReason, ...]]:
        """The trend and signal factors of a category in a region, with their reasons."""
        path = parse_category(category) if category else ()
        if not path:
            return 1.0, _NONE
        moment = datetime.fromtimestamp(now, UTC)
        trends = self.trends()
        factor = 1.0
        reasons: list[BidReason] = []
        key = category_key(path)
        boost = self.rules.trend
        score = trends.score(
            TrendKind.CATEGORY, key, moment, short=boost.window, baseline=boost.baseline
        )
        if score.count >= boost.min_count and score.p_value < boost.alpha and score.lift > 1:
            value = min(1.0 + boost.gain * math.log2(score.lift), boost.cap)
            factor *= value
            reasons.append(BidReason(
                "trend", key, value,
                f"{key} is rising: {score.count} in {boost.window} against {score.expected:.1f} "
                f"expected (velocity {score.lift:.2f}, p={score.p_value:.2g})",
            ))  # fmt: skip
        folded = tuple(part.casefold() for part in path)
        for signal in trends.signals(region, moment):
            for rule in self.rules.signals:
                if rule.kind != signal.kind or not rule.matches(folded):
                    continue
                if rule.value is not None and not _reaches(
                    signal.values.get(rule.value), rule.at_least
                ):
                    continue
                factor *= rule.multiplier
                where = signal.region or "everywhere"
                values = ", ".join(f"{k}={v}" for k, v in sorted(signal.values.items()))
                reasons.append(BidReason(
                    "signal", signal.kind, rule.multiplier,
                    f"{signal.kind} in {where}" + (f" ({values})" if values else "")
                    + f" applies to {key}",
                ))  # fmt: skip
        return factor, tuple(reasons)


def _reaches(value: object, at_least: float | None) -> bool:
    return (
        at_least is not None
        and isinstance(value, int | float)
        and not isinstance(value, bool)
        and value >= at_least
    )


def segments_in(names: Collection[str]) -> tuple[str, ...]:
    """Segment names as a request carries them: stripped, without blanks or repeats."""
    seen: dict[str, None] = {}
    for name in names:
        cleaned = name.strip()
        if cleaned:
            seen.setdefault(cleaned, None)
    return tuple(seen)
