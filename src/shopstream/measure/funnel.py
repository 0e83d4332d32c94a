"""The ordered shopping funnel per customer: view -> cart -> checkout -> order.

A customer reaches a stage when they send its event (:data:`~shopstream.measure.FUNNEL`)
after reaching the stage before it, as ordered funnels in analytics tools count: an order
with no product view before it reaches no stage. Unlike the live dashboard
(:class:`~shopstream.measure.Activity`), this walks a finished set of events, for a report
or an experiment's arm.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from shopstream.core import CustomerId
from shopstream.measure.activity import FUNNEL

_STAGES = tuple(stage for stage, _ in FUNNEL)
_INDEX = {str(event): index for index, (_, event) in enumerate(FUNNEL)}


@dataclass(frozen=True, slots=True)
class FunnelEvent:
    customer_id: CustomerId
    event: str
    at: datetime


@dataclass(frozen=True, slots=True)
class FunnelCounts:
    """``reached[stage]``: customers who reached each stage, in funnel order; ``deepest``:
    each customer's furthest stage (customers who reached none are absent)."""

    reached: dict[str, int]
    deepest: dict[CustomerId, str]

    def rate(self, stage: str) -> float | None:
        """Share of the previous stage's customers who reached ``stage`` (``None`` if none)."""
        index = _STAGES.index(stage)
        if index == 0:
            return None
        before = self.reached[_STAGES[index - 1]]
        return self.reached[stage] / before if before else None


def funnel(events: Iterable[FunnelEvent]) -> FunnelCounts:
    """Count how far each customer went down the funnel; other events are ignored.

    Examples:
        >>> t = datetime(2026, 3, 1)
        >>> counts = funnel([FunnelEvent(CustomerId("c1"), "Product Viewed", t),
        ...                  FunnelEvent(CustomerId("c1"), "Product Added", t)])
        >>> counts.reached
        {'view': 1, 'cart': 1, 'checkout': 0, 'order': 0}
    """
    depth: dict[CustomerId, int] = {}
    for event in sorted(events, key=lambda e: e.at):
        index = _INDEX.get(event.event)
        if index is not None and index == depth.get(event.customer_id, -1) + 1:
            depth[event.customer_id] = index
    reached = {stage: sum(1 for d in depth.values() if d >= i) for i, stage in enumerate(_STAGES)}
    return FunnelCounts(reached, {customer: _STAGES[d] for customer, d in depth.items()})
