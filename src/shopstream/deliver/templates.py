"""Message templates: Jinja2 in its sandbox, over the recipient's profile and items.

A template sees ``traits`` (the profile's traits: ``traits.first_name``, ...),
``customer_id``, ``items`` (the recommended products: ``item.name``, ``item.price``,
``item.url``, ...), ``content`` (the offer's content: ``content.title``, ...), ``payload``
(all the trigger wrote: ``payload.offer.discount.percent``, ...), ``trigger_id`` and
``offer_id``.
The sandbox refuses attribute tricks (``__class__`` and the like), so a template written
by a marketer cannot reach into the process. A missing value renders as empty; write
``{{ traits.first_name | default("there") }}`` for a fallback.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment

from shopstream.decide import Activation
from shopstream.deliver.channel import Recipient
from shopstream.deliver.errors import InvalidChannelConfig, TemplateFailed
from shopstream.deliver.payload import offer_content

_ENV = SandboxedEnvironment(autoescape=False, keep_trailing_newline=False)


@dataclass(frozen=True, slots=True)
class MessageTemplate:
    """The parts of one message (``subject``/``title`` and ``body``), compiled once.

    Examples:
        >>> t = MessageTemplate.compile({"body": "Hi {{ traits.first_name }}: {{ items[0].name }}"})
        >>> from shopstream.core import CustomerId
        >>> r = Recipient(CustomerId("c1"), {"first_name": "Ada"}, items=[{"name": "Boots"}])
        >>> t.render_parts(r, {})
        {'body': 'Hi Ada: Boots'}
    """

    sources: Mapping[str, str]

    @classmethod
    def compile(cls, parts: Mapping[str, str], *, field: str = "templates") -> MessageTemplate:
        for name, source in parts.items():
            try:
                _ENV.from_string(source)
            except TemplateError as exc:
                msg = f"{field}.{name} is not a valid template: {exc}"
                raise InvalidChannelConfig(msg, field=f"{field}.{name}") from None
        return cls(dict(parts))

    def render_parts(self, recipient: Recipient, extra: Mapping[str, Any]) -> dict[str, str]:
        context = {
            "traits": dict(recipient.traits),
            "customer_id": recipient.customer_id,
            "items": [dict(item) for item in recipient.items],
            **extra,
        }
        try:
            return {
                name: _ENV.from_string(source).render(context).strip()
                for name, source in self.sources.items()
            }
        except TemplateError as exc:
            msg = f"the template failed to render: {type(exc).__name__}: {exc}"
            raise TemplateFailed(msg) from None

    def render(self, activation: Activation, recipient: Recipient) -> dict[str, str]:
        """The message's parts for ``recipient``; raises ``TemplateFailed``."""
        return self.render_parts(recipient, {
            "payload": dict(activation.payload),
            "content": dict(offer_content(activation.payload)),
            "trigger_id": activation.trigger_id,
            "offer_id": activation.offer_id,
        })  # fmt: skip
