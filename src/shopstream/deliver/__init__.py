"""Deliver: fired triggers' activations sent on every channel, durably and once.

- :class:`Outbox` (an :class:`~shopstream.decide.ActivationSink`): the durable queue
  triggers write to; :class:`MemoryOutbox` in memory, SQLite in ``storage``.
- :class:`Deliverer`: claims due entries and sends them with per-channel rate limits
  (:class:`TokenBucket`), retries with exponential backoff and jitter (:class:`Backoff`)
  and dead letters; the activation key is every request's ``Idempotency-Key``.
- Channels (:class:`Channel`): :class:`WebhookChannel` (HMAC-SHA256 signed, see
  :mod:`shopstream.deliver.signing`), :class:`MessageChannel` (email, SMS and push through
  a provider's webhook, rendered from :class:`MessageTemplate`), :class:`AssociateChannel`
  (the associate app's :class:`AlertBoard`) and :class:`AudienceChannel` (ad audiences,
  with :func:`export_csv` for Google Customer Match and Meta custom audiences).
- ``channels.yaml``: :func:`load_deliver_config`.
"""

from __future__ import annotations

from shopstream.deliver.associate import Alert, AlertBoard, AssociateChannel
from shopstream.deliver.audience import (
    AudienceChannel,
    AudienceStore,
    ExportFormat,
    MemoryAudiences,
    export_csv,
)
from shopstream.deliver.backoff import Backoff
from shopstream.deliver.channel import (
    Channel,
    Outcome,
    Receipt,
    Recipient,
    Recipients,
    activation_body,
)
from shopstream.deliver.config import (
    CHANNEL_NAMES,
    ChannelConfig,
    Channels,
    DeliverConfig,
    RetryConfig,
    example_channels,
    load_deliver_config,
    parse_deliver_config,
)
from shopstream.deliver.deliverer import Deliverer
from shopstream.deliver.errors import (
    DeliverError,
    InvalidChannelConfig,
    TemplateFailed,
    UnknownAudience,
)
from shopstream.deliver.messaging import MessageChannel
from shopstream.deliver.outbox import (
    DeliveryOutcome,
    EntryStatus,
    MemoryOutbox,
    Outbox,
    OutboxEntry,
    OutcomeStatus,
    Settlement,
)
from shopstream.deliver.payload import offer_content, payload_value
from shopstream.deliver.ratelimit import TokenBucket
from shopstream.deliver.signing import signature, signed_headers, verify
from shopstream.deliver.templates import MessageTemplate
from shopstream.deliver.webhook import WebhookChannel

__all__ = (
    "CHANNEL_NAMES",
    "Alert",
    "AlertBoard",
    "AssociateChannel",
    "AudienceChannel",
    "AudienceStore",
    "Backoff",
    "Channel",
    "ChannelConfig",
    "Channels",
    "DeliverConfig",
    "DeliverError",
    "Deliverer",
    "DeliveryOutcome",
    "EntryStatus",
    "ExportFormat",
    "InvalidChannelConfig",
    "MemoryAudiences",
    "MemoryOutbox",
    "MessageChannel",
    "MessageTemplate",
    "Outbox",
    "OutboxEntry",
    "Outcome",
    "OutcomeStatus",
    "Receipt",
    "Recipient",
    "Recipients",
    "RetryConfig",
    "Settlement",
    "TemplateFailed",
    "TokenBucket",
    "UnknownAudience",
    "WebhookChannel",
    "activation_body",
    "example_channels",
    "export_csv",
    "load_deliver_config",
    "offer_content",
    "parse_deliver_config",
    "payload_value",
    "signature",
    "signed_headers",
    "verify",
)
