"""The webhook channel: the activation as signed JSON to the retailer's endpoint."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from shopstream.decide import Activation
from shopstream.deliver.channel import Receipt, Recipient, activation_body
from shopstream.deliver.posting import post_signed


@dataclass(frozen=True, slots=True)
class WebhookChannel:
    """POSTs :func:`~shopstream.deliver.channel.activation_body` to ``url``, signed with
    ``secret`` (see :mod:`shopstream.deliver.signing`); a 2xx means delivered."""

    url: str
    secret: str
    client: httpx.AsyncClient

    async def send(self, activation: Activation, recipient: Recipient) -> Receipt:
        return await post_signed(
            self.client, self.url, self.secret, activation.key, activation_body(activation),
            ok=Receipt.delivered(),
        )  # fmt: skip
