"""The public test kit: a real server process, fakes and Hypothesis strategies.

Nothing in ``shopstream`` imports this package; tests and benchmarks do.
"""

from __future__ import annotations

from shopstream.testing.server import ServerProcess, free_port
from shopstream.testing.services import (
    POSTGRES_URL,
    REDIS_URL,
    Namespace,
    PrivateRedisCluster,
    RedisServer,
    TcpProxy,
    scaled_out,
    scaleout_namespace,
)
from shopstream.testing.sink import Arrival, WebhookSink
from shopstream.testing.strategies import (
    channel_names,
    contexts,
    emails,
    iso_times,
    json_values,
    keyed_messages,
    mutated_messages,
    phones,
    segment_messages,
    timestamps,
    track_events,
)
from shopstream.testing.zones import zone_at

__all__ = (
    "POSTGRES_URL",
    "REDIS_URL",
    "Arrival",
    "Namespace",
    "PrivateRedisCluster",
    "RedisServer",
    "ServerProcess",
    "TcpProxy",
    "WebhookSink",
    "channel_names",
    "contexts",
    "emails",
    "free_port",
    "iso_times",
    "json_values",
    "keyed_messages",
    "mutated_messages",
    "phones",
    "scaled_out",
    "scaleout_namespace",
    "segment_messages",
    "timestamps",
    "track_events",
    "zone_at",
)
