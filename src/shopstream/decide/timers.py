"""Timers that fire on the log's clock, never the wall's: a replay fires them identically.

An absence trigger ("Product Added and no Order Completed within 30 minutes") arms a timer
when its start event is processed; the stream processor fires every timer whose time the
log's clock (the latest ``receivedAt`` applied) has reached, before the event that moved the
clock. When no events arrive the engine appends a clock tick (an admin event) so due timers
still fire; the tick is in the log, so a replay fires them at the same point.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shopstream.core import CustomerId


@dataclass(frozen=True, slots=True)
class Timer:
    """Fire ``trigger_id`` for ``customer_id`` at ``due`` unless cancelled first.

    ``message_id`` is the event that armed it (the activation's key derives from it);
    ``kind`` is ``absence`` or ``reward`` (a bandit reward window closing).
    """

    due: float
    seq: int
    kind: str
    trigger_id: str
    customer_id: CustomerId
    message_id: str
    data: Mapping[str, Any]


class Timers:
    """A heap of timers; arming again under the same ``(kind, trigger, customer)`` replaces
    the earlier one (it is skipped when it comes up)."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Timer]] = []
        self._live: dict[tuple[str, str, CustomerId], Timer] = {}
        self._seq = 0

    def arm(
        self,
        due: float,
        kind: str,
        trigger_id: str,
        customer_id: CustomerId,
        message_id: str,
        data: Mapping[str, Any] | None = None,
    ) -> Timer:
        self._seq += 1
        timer = Timer(due, self._seq, kind, trigger_id, customer_id, message_id, data or {})
        self._live[(kind, trigger_id, customer_id)] = timer
        heapq.heappush(self._heap, (due, timer.seq, timer))
        return timer

    def cancel(self, kind: str, trigger_id: str, customer_id: CustomerId) -> bool:
        return self._live.pop((kind, trigger_id, customer_id), None) is not None

    def take(self, kind: str, trigger_id: str, customer_id: CustomerId) -> Timer | None:
        """Disarm a timer and return it (``None`` when none is armed under that name)."""
        return self._live.pop((kind, trigger_id, customer_id), None)

    def armed(self, kind: str, trigger_id: str, customer_id: CustomerId) -> bool:
        return (kind, trigger_id, customer_id) in self._live

    def due(self, now: float) -> list[Timer]:
        """Pop the live timers due at ``now``, in due order."""
        fired: list[Timer] = []
        heap = self._heap
        while heap and heap[0][0] <= now:
            _, seq, timer = heapq.heappop(heap)
            key = (timer.kind, timer.trigger_id, timer.customer_id)
            live = self._live.get(key)
            if live is not None and live.seq == seq:
                del self._live[key]
                fired.append(timer)
        return fired

    def next_due(self) -> float | None:
        """When the earliest live timer is due (``None`` when none is armed)."""
        heap = self._heap
        while heap:
            _, seq, timer = heap[0]
            live = self._live.get((timer.kind, timer.trigger_id, timer.customer_id))
            if live is not None and live.seq == seq:
                break
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def __len__(self) -> int:
        return len(self._live)

    def to_snapshot(self) -> dict[str, Any]:
        timers = [
            [t.due, t.seq, t.kind, t.trigger_id, t.customer_id, t.message_id, dict(t.data)]
            for t in sorted(self._live.values(), key=lambda t: (t.due, t.seq))
        ]
        return {"seq": self._seq, "timers": timers}

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any]) -> Timers:
        timers = cls()
        timers._seq = int(data["seq"])
        for due, seq, kind, trigger_id, customer, message_id, extra in data["timers"]:
            timer = Timer(
                float(due), int(seq), kind, trigger_id, CustomerId(customer), message_id, extra
            )
            timers._heap.append((timer.due, timer.seq, timer))
            timers._live[(kind, trigger_id, timer.customer_id)] = timer
        heapq.heapify(timers._heap)
        return timers
