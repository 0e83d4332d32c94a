"""Prometheus metrics of one app (its own registry, so several apps can live in one process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


class ApiMetrics:
    def __init__(self) -> None:
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
