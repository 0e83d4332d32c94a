"""Scale-out processing: workers that apply the partitioned log to a shared online state.

The pure core (:func:`online_update`), the ports (``store.py``) and the worker loop live
here; Redis and PostgreSQL implement the ports in ``shopstream.storage``.
"""

from __future__ import annotations

from shopstream.scaleout.errors import LeaseLost, OnlineStateLost, ScaleOutError
from shopstream.scaleout.rebuild import rebuild_online_state
from shopstream.scaleout.store import (
    Archive,
    ArchivedEvent,
    Entry,
    Leases,
    Merged,
    OnlineState,
    PartitionedLog,
    RebuildPlan,
)
from shopstream.scaleout.updates import OnlineUpdate, online_update
from shopstream.scaleout.worker import Worker, WorkerStats

__all__ = (
    "Archive",
    "ArchivedEvent",
    "Entry",
    "LeaseLost",
    "Leases",
    "Merged",
    "OnlineState",
    "OnlineStateLost",
    "OnlineUpdate",
    "PartitionedLog",
    "RebuildPlan",
    "ScaleOutError",
    "Worker",
    "WorkerStats",
    "online_update",
    "rebuild_online_state",
)
