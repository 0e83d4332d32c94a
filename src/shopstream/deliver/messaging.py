"""Email, SMS and push through a provider's webhook, rendered from templates.

The address comes from the recipient's traits at send time (``email``, ``phone``,
``push_token``) and goes only into the request to the provider: it is never logged, and
never written to the outbox. A message needs the shopper's consent for its purpose
(``email``, ``sms``, ``push``): with none given, or refused, it is rejected (a dead letter
saying why), never sent. The provider's 2xx means ``sent``; whether it reached the phone or
inbox comes back later as events (``Email Opened``, ``Push Opened``, ...).

The provider receives, signed as every webhook is (:mod:`shopstream.deliver.signing`)::

    {"channel": "email", "to": "ada@example.com", "subject": "...", "body": "...",
     "key": "<activation key>", "customerId": "...", "triggerId": "...", "offerId": "..."}

(``title`` instead of ``subject`` for push; no subject for SMS.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from shopstream.decide import Activation
from shopstream.deliver.channel import Receipt, Recipient
from shopstream.deliver.errors import TemplateFailed
from shopstream.deliver.payload import payload_value
from shopstream.deliver.posting import post_signed
from shopstream.deliver.templates import MessageTemplate

# Which trait addresses each channel, and which consent purpose it needs.
ADDRESS_TRAIT = {"email": "email", "sms": "phone", "push": "push_token"}
DEFAULT_TEMPLATE = "default"


@dataclass(frozen=True, slots=True)
class MessageChannel:
    """One of ``email``, ``sms`` or ``push`` through a provider webhook at ``url``.

    ``templates`` are keyed by offer id or trigger id (the offer's first), with ``default``
    for the rest; an activation may also name one (``template`` in its payload or offer
    content).
    """

    name: str
    url: str
    secret: str
    templates: Mapping[str, MessageTemplate]
    client: httpx.AsyncClient

    def template_for(self, activation: Activation) -> MessageTemplate | None:
        named = payload_value(activation.payload, "template")
        for candidate in (named, activation.offer_id, activation.trigger_id, DEFAULT_TEMPLATE):
            if isinstance(candidate, str) and candidate in self.templates:
                return self.templates[candidate]
        return None

    async def send(self, activation: Activation, recipient: Recipient) -> Receipt:
        consent = recipient.consent.get(self.name)
        if consent is not True:
            said = "refused" if consent is False else "not given"
            return Receipt.reject(f"consent to {self.name} {said}")
        address = recipient.traits.get(ADDRESS_TRAIT[self.name])
        if not isinstance(address, str) or not address:
            return Receipt.reject(f"the profile has no {ADDRESS_TRAIT[self.name]} trait")
        template = self.template_for(activation)
        if template is None:
            return Receipt.reject(f"no {self.name} template for trigger {activation.trigger_id}")
        try:
            parts = template.render(activation, recipient)
        except TemplateFailed as exc:
            return Receipt.reject(exc.message)
        body = {
            "channel": self.name,
            "to": address,
            **parts,
            "key": activation.key,
            "customerId": activation.customer_id,
            "triggerId": activation.trigger_id,
            "offerId": activation.offer_id,
        }
        return await post_signed(
            self.client, self.url, self.secret, activation.key, body, ok=Receipt.sent()
        )
