"""The deliver domain wired to a live engine: channels from ``channels.yaml``, recipients
read from the live profiles and the catalogue at send time.

The deliverer runs inside ``shopstream serve`` as a background task (``SHOPSTREAM_DELIVER=
false`` turns it off): it needs the live profiles for contact details and consent, which
only the serving process holds. The outbox it reads is durable, so a killed server resumes
delivery when it is restarted.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx

from shopstream.catalog import product_to_dict
from shopstream.core import CustomerId, ProductId
from shopstream.decide import Activation
from shopstream.deliver import (
    AssociateChannel,
    AudienceChannel,
    Channel,
    ChannelConfig,
    DeliverConfig,
    Deliverer,
    ExportFormat,
    MessageChannel,
    Recipient,
    TokenBucket,
    UnknownAudience,
    WebhookChannel,
    export_csv,
    payload_value,
)

if TYPE_CHECKING:
    from shopstream.engine import Engine

_TIMEOUT = httpx.Timeout(5.0, connect=2.0)


class LiveRecipients:
    """:class:`~shopstream.deliver.Recipients` over the engine's live profiles."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def recipient(self, activation: Activation) -> Recipient:
        found = self.of(activation.customer_id)
        return Recipient(found.customer_id, found.traits, found.consent,
                         self._items(activation.payload))  # fmt: skip

    def of(self, customer_id: CustomerId) -> Recipient:
        """The customer's traits and consent as they are now (no items)."""
        profile = self._engine.profiles.get(customer_id)
        if profile is None:
            return Recipient(customer_id)
        consent = {str(p): granted for p, (granted, _) in (profile.consent or {}).items()}
        return Recipient(customer_id, dict(profile.traits or {}), consent)

    def _items(self, payload: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The payload's ``items`` (ids or dicts), else the product its trigger was about,
        each with its catalogue fields."""
        listed = payload_value(payload, "items")
        if not isinstance(listed, list | tuple):
            product = payload_value(payload, "product_id")
            listed = [product] if product else []
        items = []
        for raw in listed:
            given = dict(raw) if isinstance(raw, Mapping) else {"id": str(raw)}
            product_id = given.get("id") or given.get("productId") or given.get("product_id")
            product = (
                self._engine.catalog.product(ProductId(str(product_id))) if product_id else None
            )
            items.append({**(product_to_dict(product) if product else {}), **given})
        return items


def build_deliverer(engine: Engine, config: DeliverConfig, client: httpx.AsyncClient) -> Deliverer:
    """A deliverer for the channels ``config`` names, sending through ``client``."""
    settings = engine.settings
    channels: dict[str, Channel] = {}
    limits: dict[str, TokenBucket] = {}
    for name, channel in config.channels.configured().items():
        if isinstance(channel, ChannelConfig):
            secret = channel.resolve_secret(os.environ, f"channels.{name}")
            if name == "webhook":
                channels[name] = WebhookChannel(channel.url or "", secret, client)
            elif name in ("email", "sms", "push"):
                templates = config.templates(name)
                channels[name] = MessageChannel(name, channel.url or "", secret, templates, client)
            else:
                channels[name] = AudienceChannel(
                    engine.audiences, client, channel.url, secret, settings.phone_region
                )
        else:
            channels[name] = AssociateChannel(engine.alerts)
        limits[name] = TokenBucket(channel.rate, channel.burst, now=time.monotonic())
    return Deliverer(
        engine.outbox, channels, LiveRecipients(engine), limits=limits,
        backoff=config.retry.backoff(),
        lease=timedelta(seconds=settings.deliver_lease_seconds),
        held_out=engine.experiments.holdout_check(),
    )  # fmt: skip


def http_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=_TIMEOUT, limits=httpx.Limits(max_connections=100))


async def export_audience(engine: Engine, audience: str, fmt: ExportFormat) -> str:
    """The upload CSV of ``audience`` in ``fmt``, from the members' live traits and consent
    (the members are read off the event loop: on the scale-out backend, from PostgreSQL)."""
    members = await asyncio.to_thread(engine.audiences.members, audience)
    if not members:
        msg = f"no audience {audience!r} (or it has no members)"
        raise UnknownAudience(msg, field="audience")
    recipients = LiveRecipients(engine)
    return export_csv(
        (recipients.of(customer_id) for customer_id in members), fmt,
        phone_region=engine.settings.phone_region,
    )  # fmt: skip
