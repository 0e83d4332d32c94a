"""Deliver: fired triggers' activations sent on every channel, durably and once.

The durable :class:`Outbox` (an :class:`~shopstream.decide.ActivationSink`) that triggers
write to; its in-memory :class:`MemoryOutbox`; the errors.
"""

from __future__ import annotations

from shopstream.deliver.errors import (
    DeliverError,
    InvalidChannelConfig,
    InvalidOutboxQuery,
    UnknownAudience,
)
from shopstream.deliver.outbox import (
    DeliveryOutcome,
    EntryStatus,
    MemoryOutbox,
    Outbox,
    OutboxEntry,
    OutcomeStatus,
)

__all__ = (
    "DeliverError",
    "DeliveryOutcome",
    "EntryStatus",
    "InvalidChannelConfig",
    "InvalidOutboxQuery",
    "MemoryOutbox",
    "Outbox",
    "OutboxEntry",
    "OutcomeStatus",
    "UnknownAudience",
)
