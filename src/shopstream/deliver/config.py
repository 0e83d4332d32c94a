"""``channels.yaml``: where each channel delivers, how fast, and how failures are retried.

The file lives in the config directory (``SHOPSTREAM_DECIDE_CONFIG_DIR``)::

    retry:                     # exponential backoff with jitter (see deliver.backoff)
      max_attempts: 8          # then the entry is a dead letter
      base_seconds: 1
      factor: 2
      max_seconds: 300
      jitter: 0.5
    channels:
      webhook:                 # the activation as signed JSON (see deliver.signing)
        url: https://hooks.example.com/shopstream
        secret_env: SHOPSTREAM_WEBHOOK_SECRET   # or `secret: ...` in the file
        rate: 50               # sends a second on average ...
        burst: 100             # ... and at most this many at once
      email:                   # through the provider's webhook (see deliver.messaging)
        url: https://provider.example.com/send
        secret_env: SHOPSTREAM_EMAIL_SECRET
        templates:
          default:
            subject: "{{ traits.first_name | default('Hello') }}, picked for you"
            body: "{% for item in items %}{{ item.name }} {{ item.price }}\n{% endfor %}"
      sms: {url: ..., secret: ..., templates: {default: {body: "..."}}}
      push: {url: ..., secret: ..., templates: {default: {title: "...", body: "..."}}}
      associate: {}            # the associate app's alert board
      audience: {url: https://ads.example.com/membership, secret: ...}   # url optional

Activations of a channel the file does not configure stay pending in the outbox.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shopstream.core import load_model, parse_model
from shopstream.deliver.backoff import Backoff
from shopstream.deliver.errors import InvalidChannelConfig
from shopstream.deliver.templates import MessageTemplate

CHANNEL_NAMES = ("webhook", "email", "sms", "push", "associate", "audience")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RetryConfig(_Strict):
    max_attempts: int = Field(8, ge=1, le=100)
    base_seconds: float = Field(1.0, gt=0)
    factor: float = Field(2.0, ge=1)
    max_seconds: float = Field(300.0, gt=0)
    jitter: float = Field(0.5, ge=0, le=1)

    def backoff(self) -> Backoff:
        return Backoff(self.base_seconds, self.factor, self.max_seconds, self.jitter,
                       self.max_attempts)  # fmt: skip


class _Limited(_Strict):
    rate: float = Field(50.0, gt=0)
    burst: int = Field(100, ge=1)


class ChannelConfig(_Limited):
    """A channel that POSTs signed requests (``url`` optional only for audiences)."""

    url: str | None = Field(None, pattern=r"^https?://")
    secret: str | None = None
    secret_env: str | None = None

    @model_validator(mode="after")
    def _one_secret(self) -> ChannelConfig:
        if self.secret is not None and self.secret_env is not None:
            msg = "give either secret or secret_env, not both"
            raise ValueError(msg)
        return self

    def resolve_secret(self, environ: Mapping[str, str], field: str) -> str:
        if self.secret_env is not None:
            value = environ.get(self.secret_env)
            if not value:
                msg = f"{field}.secret_env names {self.secret_env}, which is not set"
                raise InvalidChannelConfig(msg, field=f"{field}.secret_env")
            return value
        return self.secret or ""


class WebhookConfig(ChannelConfig):
    url: str = Field(pattern=r"^https?://")


class MessageConfig(WebhookConfig):
    """Email, SMS or push: a provider webhook and templates keyed by trigger id or
    ``default``, each a mapping of part (``subject``, ``title``, ``body``) to its source."""

    templates: dict[str, dict[str, str]] = Field(min_length=1)


class AssociateConfig(_Limited):
    pass


class Channels(_Strict):
    webhook: WebhookConfig | None = None
    email: MessageConfig | None = None
    sms: MessageConfig | None = None
    push: MessageConfig | None = None
    associate: AssociateConfig | None = None
    audience: ChannelConfig | None = None

    def configured(self) -> dict[str, _Limited]:
        """The channels the file configures, by name."""
        return {name: getattr(self, name) for name in CHANNEL_NAMES if getattr(self, name)}


class DeliverConfig(_Strict):
    retry: RetryConfig = Field(default_factory=RetryConfig)  # type: ignore[arg-type]
    channels: Channels = Field(default_factory=Channels)

    def templates(self, name: str) -> dict[str, MessageTemplate]:
        """The compiled templates of channel ``name`` (syntax errors name the template)."""
        channel = self.channels.configured()[name]
        parts = channel.templates if isinstance(channel, MessageConfig) else {}
        return {
            key: MessageTemplate.compile(source, field=f"channels.{name}.templates.{key}")
            for key, source in parts.items()
        }


def load_deliver_config(path: Path) -> DeliverConfig:
    """Read ``channels.yaml``; a missing file configures no channel."""
    if not path.exists():
        return DeliverConfig()
    config = load_model(path, DeliverConfig)
    for name in config.channels.configured():
        config.templates(name)  # compile now: a broken template fails at start, not at send
    return config


def example_channels() -> str:
    """The example ``channels.yaml`` (``shopstream demo`` writes it into an empty config dir)."""
    return (Path(__file__).parent / "examples" / "channels.yaml").read_text(encoding="utf-8")


def parse_deliver_config(text: str) -> DeliverConfig:
    return parse_model(text, DeliverConfig, name="channels.yaml")
