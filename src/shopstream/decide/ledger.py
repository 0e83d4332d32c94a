"""What triggers have spent: frequency caps, offer budgets and trigger cool-downs.

Kept by the stream processor from the activations it writes, so it is a function of the
log and is saved with the rest of the decide state. ``/v1/decide`` reads it (an offer whose
budget is spent is not offered) but never writes it: a request is not in the log.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shopstream.core import CustomerId


class Ledger:
    """Counts per customer, channel and local day; spend per offer; last firing per trigger
    and customer."""

    def __init__(self) -> None:
        self.sent: dict[tuple[CustomerId, str, str], int] = {}
        self.spent: dict[str, float] = {}
        self.fired: dict[tuple[str, CustomerId], float] = {}

    def count(self, customer_id: CustomerId, channel: str, day: str) -> int:
        return self.sent.get((customer_id, channel, day), 0)

    def record(
        self, customer_id: CustomerId, channel: str, day: str, offer_id: str, cost: float
    ) -> None:
        key = (customer_id, channel, day)
        self.sent[key] = self.sent.get(key, 0) + 1
        self.spent[offer_id] = self.spent.get(offer_id, 0.0) + cost

    def last_fired(self, trigger_id: str, customer_id: CustomerId) -> float | None:
        return self.fired.get((trigger_id, customer_id))

    def fire(self, trigger_id: str, customer_id: CustomerId, at: float) -> None:
        self.fired[(trigger_id, customer_id)] = at

    def expire(self, oldest_day: str, fired_before: float) -> None:
        """Forget the days before ``oldest_day`` (ISO dates sort as strings) and firings
        older than ``fired_before``."""
        self.sent = {k: v for k, v in self.sent.items() if k[2] >= oldest_day}
        self.fired = {k: v for k, v in self.fired.items() if v >= fired_before}

    def to_snapshot(self) -> dict[str, Any]:
        return {
            "sent": [[c, ch, d, n] for (c, ch, d), n in self.sent.items()],
            "spent": self.spent,
            "fired": [[t, c, at] for (t, c), at in self.fired.items()],
        }

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any]) -> Ledger:
        ledger = cls()
        ledger.sent = {(CustomerId(c), ch, d): int(n) for c, ch, d, n in data["sent"]}
        ledger.spent = {k: float(v) for k, v in data["spent"].items()}
        ledger.fired = {(t, CustomerId(c)): float(at) for t, c, at in data["fired"]}
        return ledger
