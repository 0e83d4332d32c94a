"""Exposures: every answer served (recommendations, decisions), kept to join with outcomes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shopstream.core import CustomerId, ProductId


@dataclass(frozen=True, slots=True)
class Exposure:
    """One answer shown to one customer: what, where, and with what propensity."""

    decision_id: str
    customer_id: CustomerId
    placement: str
    channel: str
    items: tuple[ProductId, ...]
    reasons: tuple[str, ...]
    policy: str
    at: datetime
    # The probability, under the policy, of each item being chosen first (decide's actions).
    propensities: tuple[float, ...] = ()


class ExposureLog(Protocol):
    """Where exposures go. Writing is off the request path: ``record`` only queues."""

    def record(self, exposure: Exposure) -> None: ...

    def flush(self) -> None:
        """Write everything queued so far."""
        ...

    def of_customer(self, customer_id: CustomerId, limit: int) -> Sequence[Exposure]: ...
