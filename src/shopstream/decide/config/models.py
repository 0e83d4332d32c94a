"""What the YAML files hold: triggers, offers (with the eligibility rules) and segments.

Validated with pydantic (``extra="forbid"``, so a misspelt key is an error naming it);
expressions are compiled at load time against the names :mod:`~shopstream.decide.facts`
knows, so an unknown feature is a load error, not a silent ``false`` later.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from enum import StrEnum
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_ID = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"

CHANNELS = ("email", "sms", "push", "web", "app", "associate", "webhook", "audience", "ads")


def _seconds(value: object) -> object:
    """``"30m"`` -> 1800.0; numbers are seconds."""
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match is None:
            msg = f"a duration such as 45s, 30m, 2h or 7d; got {value!r}"
            raise ValueError(msg)
        return float(match.group(1)) * _UNITS[match.group(2)]
    return value


Duration = Annotated[float, BeforeValidator(_seconds), Field(gt=0)]
Channel = Literal["email", "sms", "push", "web", "app", "associate", "webhook", "audience", "ads"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class TriggerType(StrEnum):
    EVENT = "event"
    ABSENCE = "absence"
    PROXIMITY = "proximity"
    SEGMENT_ENTRY = "segment_entry"
    BACK_IN_STOCK = "back_in_stock"
    PRICE_DROP = "price_drop"


class ActionKind(StrEnum):
    OFFER = "offer"
    MESSAGE = "message"
    RECOMMENDATION = "recommendation"
    ASSOCIATE_ALERT = "associate_alert"


class Trigger(_Model):
    """When to act, and with which offers (a bandit picks among the eligible ones)."""

    id: Annotated[str, Field(pattern=_ID)]
    type: TriggerType
    on: str | None = Field(default=None, description="the event that starts it")
    if_: str | None = Field(default=None, alias="if", description="a condition expression")
    absent: list[str] = Field(default_factory=list)
    within: Duration | None = None
    restart: bool = True
    segment: str | None = None
    transition: Literal["enter", "exit"] = "enter"
    min_affinity: float = Field(default=0.05, ge=0)
    top_categories: int = Field(default=3, ge=1, le=50)
    min_drop: float = Field(default=0.05, ge=0, lt=1)
    offers: list[str] = Field(min_length=1)
    channels: list[Channel] = Field(default_factory=list)
    suppress_for: Duration | None = None
    enabled: bool = True

    @model_validator(mode="after")
    def _shape(self) -> Trigger:
        kind = self.type
        if kind in (TriggerType.EVENT, TriggerType.ABSENCE) and not self.on:
            msg = f"a trigger of type {kind} needs 'on' (the event that starts it)"
            raise ValueError(msg)
        if kind is TriggerType.ABSENCE and (not self.absent or self.within is None):
            msg = "an absence trigger needs 'absent' (events) and 'within' (a duration)"
            raise ValueError(msg)
        if kind is not TriggerType.ABSENCE and (self.absent or self.within is not None):
            msg = f"'absent' and 'within' belong to absence triggers, not {kind}"
            raise ValueError(msg)
        if kind is TriggerType.SEGMENT_ENTRY and not self.segment:
            msg = "a segment_entry trigger needs 'segment'"
            raise ValueError(msg)
        if len(set(self.offers)) != len(self.offers):
            msg = f"offers must be distinct; got {self.offers}"
            raise ValueError(msg)
        return self

    @property
    def starts_on(self) -> str | None:
        if self.type is TriggerType.PROXIMITY:
            return self.on or "Store Zone Entered"
        return self.on


class Discount(_Model):
    percent: float | None = Field(default=None, gt=0, le=100)
    amount: float | None = Field(default=None, gt=0)
    code: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Discount:
        if (self.percent is None) == (self.amount is None):
            msg = "a discount is either 'percent' or 'amount'"
            raise ValueError(msg)
        return self


class Offer(_Model):
    """An action: content, discount, channels, who may get it, budget and dates."""

    id: Annotated[str, Field(pattern=_ID)]
    kind: ActionKind = ActionKind.OFFER
    content: dict[str, Any] = Field(default_factory=dict)
    discount: Discount | None = None
    channels: list[Channel] = Field(min_length=1)
    eligibility: str | None = Field(default=None, description="an expression")
    products: list[str] = Field(default_factory=list, description="in stock to be offered")
    exclude_segments: list[str] = Field(default_factory=list)
    budget: float | None = Field(default=None, gt=0)
    cost: float = Field(default=1.0, ge=0, description="what one activation spends")
    start: datetime | None = None
    end: datetime | None = None
    enabled: bool = True

    @field_validator("start", "end")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            msg = "a date and time with its offset, e.g. 2026-03-01T00:00:00Z"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _dates(self) -> Offer:
        if self.start is not None and self.end is not None and self.end <= self.start:
            msg = f"end ({self.end.isoformat()}) must be after start ({self.start.isoformat()})"
            raise ValueError(msg)
        return self


class QuietHours(_Model):
    start: time
    end: time
    channels: list[Channel] = Field(default_factory=lambda: ["email", "sms", "push"])

    def covers(self, moment: time) -> bool:
        """Whether a local time of day falls in the quiet hours (they may span midnight)."""
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


class PolicyConfig(_Model):
    name: Literal["linucb", "linear-thompson", "epsilon-greedy", "rule"] = "linucb"
    alpha: float = Field(default=1.0, ge=0)
    v: float = Field(default=0.25, ge=0)
    epsilon: float = Field(default=0.1, ge=0, le=1)
    seed: int = 0
    reward_event: str = "Order Completed"
    reward_window: Duration = 7 * 86400.0


class Eligibility(_Model):
    """Rules every action must pass, whatever the offer."""

    caps: dict[str, int] = Field(
        default_factory=lambda: {"email": 1, "sms": 1, "push": 2},
        description="activations per customer, channel and local day; 'default' for the rest",
    )
    quiet_hours: QuietHours | None = None
    timezone: str = "UTC"
    opt_in: list[Channel] = Field(
        default_factory=list, description="channels that need consent given, not just not withdrawn"
    )
    suppress_segments: list[str] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            msg = f"an IANA time zone such as Europe/Paris; got {value!r}"
            raise ValueError(msg) from None
        return value

    @field_validator("caps")
    @classmethod
    def _caps(cls, value: dict[str, int]) -> dict[str, int]:
        for channel, cap in value.items():
            if channel != "default" and channel not in CHANNELS:
                msg = f"caps name channels ({', '.join(CHANNELS)}) or 'default'; got {channel!r}"
                raise ValueError(msg)
            if cap < 0:
                msg = f"caps.{channel} must be >= 0; got {cap}"
                raise ValueError(msg)
        return value

    def cap(self, channel: str) -> int | None:
        return self.caps.get(channel, self.caps.get("default"))


class Segment(_Model):
    id: Annotated[str, Field(pattern=_ID)]
    description: str = ""
    when: str = Field(description="an expression over profile features and recent events")


class TriggersFile(_Model):
    triggers: list[Trigger] = Field(default_factory=list)


class OffersFile(_Model):
    eligibility: Eligibility = Field(default_factory=Eligibility)
    policy: PolicyConfig = Field(default_factory=PolicyConfig)
    offers: list[Offer] = Field(default_factory=list)


class SegmentsFile(_Model):
    segments: list[Segment] = Field(default_factory=list)
