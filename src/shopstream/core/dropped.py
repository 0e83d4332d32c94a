"""Rows the background writers had to drop, counted per store.

Exposures, measured events and decisions are written by background threads in batches. A
row its store refuses for a reason of the row's own (a value PostgreSQL cannot hold, a number
out of range) is dropped so that the rows after it keep flowing; storage counts each here, and
the API shows the counts as ``shopstream_background_writes_dropped_total{store=...}``.
"""

from __future__ import annotations

import threading


class DroppedWrites:
    """A thread-safe count of dropped rows per store name.

    Examples:
        >>> dropped = DroppedWrites()
        >>> dropped.add("exposures")
        >>> dropped.counts()
        {'exposures': 1}
    """

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def add(self, store: str, rows: int = 1) -> None:
        with self._lock:
            self._counts[store] = self._counts.get(store, 0) + rows

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)
