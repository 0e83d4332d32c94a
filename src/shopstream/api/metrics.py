"""Prometheus metrics of one app (its own registry, so several apps can live in one process)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector


class ApiMetrics:
    def __init__(self, dropped_writes: Callable[[], Mapping[str, int]]) -> None:
        """``dropped_writes``: the rows each store's background writer dropped, so far."""
        self.registry = CollectorRegistry()
        self.accepted = Counter(
            "shopstream_events_accepted",
            "Events durably appended",
            ["endpoint"],
            registry=self.registry,
        )
        self.rejected = Counter(
            "shopstream_events_rejected",
            "Events rejected and dead-lettered",
            ["endpoint"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "shopstream_collect_seconds",
            "Collection request latency",
            ["endpoint"],
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
            registry=self.registry,
        )
        self.registry.register(_DroppedWrites(dropped_writes))


class _DroppedWrites(Collector):
    """``shopstream_background_writes_dropped_total{store}``: rows a background writer
    (exposures, outcomes, decisions) dropped because its store refused them, read from the
    engine's count when scraped (the writers run below the API and count there)."""

    def __init__(self, counts: Callable[[], Mapping[str, int]]) -> None:
        self._counts = counts

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "shopstream_background_writes_dropped",
            "Rows a background writer dropped because its store refused them (logged)",
            labels=["store"],
        )
        for store, rows in sorted(self._counts().items()):
            family.add_metric([store], rows)
        yield family
