"""The durable, ordered, replayable event log: its protocol, records and the collector.

Backends (SQLite, Redis Streams) implement :class:`EventLog` in ``shopstream.storage``.
"""

from __future__ import annotations

from shopstream.events import MAX_EVENT_BYTES
from shopstream.log.collector import Collector, CollectResult
from shopstream.log.consumer import ChildSavable, Consumer, GcFreezer, Processor, StateStore
from shopstream.log.errors import LogError, LogUnavailable
from shopstream.log.fanout import Fanout
from shopstream.log.records import DeadLetter, LogRecord, Rejection
from shopstream.log.store import EventIndex, EventLog

__all__ = (
    "MAX_EVENT_BYTES",
    "ChildSavable",
    "CollectResult",
    "Collector",
    "Consumer",
    "DeadLetter",
    "EventIndex",
    "EventLog",
    "Fanout",
    "GcFreezer",
    "LogError",
    "LogRecord",
    "LogUnavailable",
    "Processor",
    "Rejection",
    "StateStore",
)
