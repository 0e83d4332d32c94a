"""The deliver domain wired to a live engine: channels from ``channels.yaml``, recipients
read from the live profiles and the catalogue at send time.

The deliverer runs inside ``shopstream serve`` as a background task (``SHOPSTREAM_DELIVER=
false`` turns it off): it needs the live profiles for contact details and consent, which
only the serving process holds. The outbox it reads is durable, so a killed server resumes
delivery when it is restarted.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx

from shopstream.catalog import product_to_dict
from shopstream.core import ProductId
from shopstream.decide import Activation
from shopstream.deliver import (
    AssociateChannel,
    AudienceChannel,
    Channel,
    DeliverConfig,
    Deliverer,
    MessageChannel,
    Recipient,
    TokenBucket,
    WebhookChannel,
)

if TYPE_CHECKING:
    from shopstream.engine import Engine

_TIMEOUT = httpx.Timeout(5.0, connect=2.0)


class LiveRecipients:
    """:class:`~shopstream.deliver.Recipients` over the engine's live profiles."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def recipient(self, activation: Activation) -> Recipient:
        profile = self._engine.profiles.get(activation.customer_id)
        traits: dict[str, Any] = dict(profile.traits or {}) if profile else {}
        consent = {
            str(p): granted for p, (granted, _) in ((profile and profile.consent) or {}).items()
        }
        return Recipient(activation.customer_id, traits, consent, self._items(activation.payload))

    def _items(self, payload: Mapping[str, Any]) -> list[dict[str, Any]]:
        items = []
        for raw in payload.get("items") or ():
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
    for name, channel in config.channels.items():
        secret = channel.resolve_secret(os.environ, f"channels.{name}")
        url = channel.url or ""
        if name == "webhook":
            channels[name] = WebhookChannel(url, secret, client)
        elif name in ("email", "sms", "push"):
            channels[name] = MessageChannel(name, url, secret, config.templates(name), client)
        elif name == "associate":
            channels[name] = AssociateChannel(engine.alerts)
        else:
            channels[name] = AudienceChannel(
                engine.audiences, client, channel.url, secret, settings.phone_region
            )
        limits[name] = TokenBucket(channel.rate, channel.burst, now=time.monotonic())
    return Deliverer(
        engine.outbox, channels, LiveRecipients(engine), limits=limits,
        backoff=config.retry.backoff(),
        lease=timedelta(seconds=settings.deliver_lease_seconds),
    )  # fmt: skip


def http_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=_TIMEOUT, limits=httpx.Limits(max_connections=100))
