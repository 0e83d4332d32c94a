"""Sending raw events to a running collector, as an SDK would: in batches, paced, retried.

Used by ``shopstream replay`` and ``shopstream demo``; the events come from
:mod:`shopstream.simulate` (simulated shoppers or a real dataset).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

logger = logging.getLogger(__name__)

RawEvent = dict[str, Any]
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass
class SendStats:
    sent: int = 0
    rejected: int = 0
    batches: int = 0
    retries: int = 0


@dataclass
class Sender:
    """Posts events to ``{url}/v1/batch`` with the write key as the HTTP Basic user name.

    A batch answered 503 or not answered at all is sent again (with the same message ids, so
    the collector stores it once); a 400 means some events were rejected and dead-lettered,
    which is counted and not retried.
    """

    url: str
    write_key: str
    batch_size: int = 100
    max_retries: int = 20
    stats: SendStats = field(default_factory=SendStats)

    def __post_init__(self) -> None:
        if not 1 <= self.batch_size <= 500:
            msg = f"batch_size must be in [1, 500]; got {self.batch_size}"
            raise ValueError(msg)
        self._client = httpx.Client(base_url=self.url, auth=(self.write_key, ""), timeout=30.0)

    def send(self, events: list[RawEvent]) -> None:
        """Send now, in batches of at most ``batch_size``."""
        for start in range(0, len(events), self.batch_size):
            self._post(events[start : start + self.batch_size])

    def _post(self, batch: list[RawEvent]) -> None:
        delay = 0.1
        for attempt in range(self.max_retries + 1):
            try:
                response = self._client.post("/v1/batch", json={"batch": batch})
            except httpx.TransportError as exc:
                logger.warning("batch not delivered (%s); retrying", exc)
            else:
                if response.status_code not in _RETRY_STATUSES:
                    break
            if attempt == self.max_retries:
                msg = f"gave up on a batch after {self.max_retries} retries"
                raise ConnectionError(msg)
            self.stats.retries += 1
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
        self.stats.batches += 1
        if response.status_code == 200:
            self.stats.sent += len(batch)
        elif response.status_code == 400 and "accepted" in response.json():
            body = response.json()
            self.stats.sent += body["accepted"]
            self.stats.rejected += len(body.get("errors", ()))
        else:
            msg = f"the collector refused a batch: {response.status_code} {response.text[:300]}"
            raise ValueError(msg)

    def play(
        self,
        timed: Iterable[tuple[datetime, RawEvent]],
        *,
        speed: float,
        flush_seconds: float = 0.05,
        on_sent: Callable[[int], None] | None = None,
    ) -> SendStats:
        """Send events paced by their times, ``speed`` times faster than they happened.

        ``speed <= 0`` sends as fast as the collector takes them.
        """
        for batch in paced(timed, speed=speed, flush_seconds=flush_seconds,
                           batch_size=self.batch_size):  # fmt: skip
            self.send(batch)
            if on_sent is not None:
                on_sent(len(batch))
        return self.stats

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def paced(
    timed: Iterable[tuple[datetime, RawEvent]],
    *,
    speed: float,
    flush_seconds: float,
    batch_size: int,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[list[RawEvent]]:
    """Group events into batches released when their (sped-up) time comes."""
    batch: list[RawEvent] = []
    first: datetime | None = None
    started = clock()
    for moment, event in timed:
        if first is None:
            first = moment
        if speed > 0:
            due = started + (moment - first).total_seconds() / speed
            wait = due - clock()
            if wait > flush_seconds and batch:
                yield batch
                batch = []
            if wait > 0:
                sleep(wait)
        batch.append(event)
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch
