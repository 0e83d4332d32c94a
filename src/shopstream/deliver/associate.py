"""Store-associate alerts: activations for the associates of one store, as a live board.

The associate app polls ``GET /v1/associate/stores/{store_id}/alerts?after=ID`` or follows
the server-sent events of ``.../alerts/stream``. The board keeps the last ``keep`` alerts
of each store in memory (an alert is about now: "Ada is in the shoe zone, offer 10% off");
the outbox keeps the record of every one delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shopstream.core import CustomerId, StoreId
from shopstream.decide import Activation
from shopstream.deliver.channel import Receipt, Recipient
from shopstream.deliver.payload import payload_value

_NAME_TRAITS = ("name", "first_name", "firstName")


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert on a store's board; ``id`` grows across all stores."""

    id: int
    key: str
    store_id: StoreId
    customer_id: CustomerId
    name: str | None
    kind: str
    trigger_id: str
    offer_id: str | None
    payload: Mapping[str, Any]
    at: datetime


class AlertBoard:
    """The last alerts of every store, and the live feed of new ones.

    Examples:
        >>> from datetime import UTC
        >>> board = AlertBoard()
        >>> at = datetime(2026, 1, 1, tzinfo=UTC)
        >>> a = Activation("k1", CustomerId("c1"), "associate", "associate_alert", "vip-in",
        ...                None, "d1", {"store_id": "s1"}, at)
        >>> board.post(a, None).id, [x.key for x in board.alerts(StoreId("s1"))]
        (1, ['k1'])
    """

    def __init__(self, keep: int = 200) -> None:
        self._keep = keep
        self._boards: dict[StoreId, deque[Alert]] = {}
        self._keys: set[str] = set()
        self._last = 0
        self._lock = threading.Lock()
        self._subscribers: set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[Alert]]] = set()

    def post(self, activation: Activation, name: str | None) -> Alert:
        """Put an alert on its store's board; a key already posted is not posted twice."""
        store_id = StoreId(str(payload_value(activation.payload, "store_id")))
        with self._lock:
            board = self._boards.setdefault(store_id, deque(maxlen=self._keep))
            for alert in board:
                if alert.key == activation.key:
                    return alert
            self._last += 1
            alert = Alert(
                self._last, activation.key, store_id, activation.customer_id, name,
                activation.kind, activation.trigger_id, activation.offer_id,
                dict(activation.payload), activation.at,
            )  # fmt: skip
            board.append(alert)
            subscribers = list(self._subscribers)
        for loop, queue in subscribers:
            loop.call_soon_threadsafe(_offer, queue, alert)
        return alert

    def alerts(self, store_id: StoreId, after: int = 0, limit: int = 100) -> list[Alert]:
        with self._lock:
            board = list(self._boards.get(store_id, ()))
        return [a for a in board if a.id > after][:limit]

    @contextlib.contextmanager
    def subscribe(self, maxsize: int = 256) -> Iterator[asyncio.Queue[Alert]]:
        """A queue of the alerts posted while the ``with`` block lasts (all stores)."""
        entry = (asyncio.get_running_loop(), asyncio.Queue[Alert](maxsize))
        with self._lock:
            self._subscribers.add(entry)
        try:
            yield entry[1]
        finally:
            with self._lock:
                self._subscribers.discard(entry)


def _offer(queue: asyncio.Queue[Alert], alert: Alert) -> None:
    if queue.full():  # a listener that fell behind loses its oldest alert, never blocks
        queue.get_nowait()
    queue.put_nowait(alert)


@dataclass(frozen=True, slots=True)
class AssociateChannel:
    """Posts ``associate`` activations to the board of the store their payload names
    (``store_id``: decide's triggers put it under ``trigger``)."""

    board: AlertBoard

    async def send(self, activation: Activation, recipient: Recipient) -> Receipt:
        if not payload_value(activation.payload, "store_id"):
            return Receipt.reject("an associate alert needs a store_id in its payload")
        name = next(
            (str(recipient.traits[t]) for t in _NAME_TRAITS if recipient.traits.get(t)), None
        )
        alert = self.board.post(activation, name)
        return Receipt.delivered(f"alert {alert.id}")
