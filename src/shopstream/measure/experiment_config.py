"""``experiments.yaml``: A/B/n tests and holdouts, as marketers write them.

The file lives in the config directory (``SHOPSTREAM_DECIDE_CONFIG_DIR``)::

    experiments:
      - id: cart-abandon-offer
        salt: "2026-11"            # change it to re-randomise under the same id
        variants: {control: 1, ten_off: 1, free_shipping: 1}   # weights, any scale
        holdout: 0.1               # customers kept out of every variant (they get nothing)
        control: control           # the arm the others are compared with (or `holdout`)
        start: 2026-11-01T00:00:00Z
        end: 2026-12-01T00:00:00Z  # optional: open-ended until then
        exposure:                  # a customer enters at their first exposure to ...
          triggers: [cart-abandon] #   an activation of these triggers (sent or held out)
          placements: []           #   or an answer served in these placements
        covariate_days: 28         # CUPED: revenue in the days before the first exposure
        attach_quantity: 2         # an order "attaches" with at least this many items
        tau_conversion: 0.01       # mSPRT mixture scale of each metric's effect
        tau_revenue: 5.0
        alpha: 0.05
        confidence: 0.95
        look_hours: 24             # how often the always-valid p-value is updated

Arms are assigned by :func:`~shopstream.measure.assign` on the canonical customer id, so a
customer has the same arm on every channel.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shopstream.core import CustomerId, has_nul, load_model, parse_model
from shopstream.measure.assignment import HOLDOUT, assign
from shopstream.measure.errors import InvalidExperiment


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExposureSpec(_Strict):
    triggers: list[str] = Field(default_factory=list)
    placements: list[str] = Field(default_factory=list)


class ExperimentSpec(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$", max_length=128)
    salt: str = ""
    variants: dict[str, float] = Field(min_length=1)
    holdout: float = Field(0.0, ge=0, lt=1)
    control: str | None = None
    start: datetime
    end: datetime | None = None
    exposure: ExposureSpec
    covariate_days: float = Field(28.0, ge=0, le=366)
    attach_quantity: int = Field(2, ge=2)
    tau_conversion: float = Field(0.01, gt=0)
    tau_revenue: float = Field(5.0, gt=0)
    alpha: float = Field(0.05, gt=0, lt=1)
    confidence: float = Field(0.95, gt=0, lt=1)
    look_hours: float = Field(24.0, gt=0)

    @field_validator("start", "end")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    @field_validator("variants")
    @classmethod
    def _weights(cls, value: dict[str, float]) -> dict[str, float]:
        try:
            assign("check", "", CustomerId("check"), value)
        except InvalidExperiment as exc:
            raise ValueError(exc.message) from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ExperimentSpec:
        arms = self.arms
        if self.control is not None and self.control not in arms:
            msg = f"control must be one of {', '.join(arms)}; got {self.control!r}"
            raise ValueError(msg)
        if self.end is not None and self.end <= self.start:
            msg = "end must be after start"
            raise ValueError(msg)
        if not self.exposure.triggers and not self.exposure.placements:
            msg = "exposure must name at least one trigger or placement"
            raise ValueError(msg)
        if has_nul(self.model_dump()):  # no store keeps one (PostgreSQL refuses it)
            msg = "no name or text may contain a NUL character"
            raise ValueError(msg)
        return self

    @property
    def arms(self) -> list[str]:
        """The variants, then the holdout when there is one."""
        return [*self.variants, *([HOLDOUT] if self.holdout else [])]

    @property
    def baseline(self) -> str:
        return self.control or next(iter(self.variants))

    def planned(self) -> dict[str, float]:
        """Each arm's planned share of customers."""
        total = sum(self.variants.values())
        shares = {v: (1 - self.holdout) * w / total for v, w in self.variants.items()}
        return {**shares, **({HOLDOUT: self.holdout} if self.holdout else {})}

    def arm_of(self, customer_id: CustomerId) -> str:
        return assign(self.id, self.salt, customer_id, self.variants, self.holdout)


class ExperimentsFile(_Strict):
    experiments: list[ExperimentSpec] = Field(default_factory=list)

    @field_validator("experiments")
    @classmethod
    def _unique(cls, value: list[ExperimentSpec]) -> list[ExperimentSpec]:
        seen: set[str] = set()
        for spec in value:
            if spec.id in seen:
                msg = f"experiment id {spec.id!r} is used twice"
                raise ValueError(msg)
            seen.add(spec.id)
        return value

    def by_id(self) -> dict[str, ExperimentSpec]:
        return {spec.id: spec for spec in self.experiments}

    def arms_of(self, customer_id: CustomerId, *, placement: str, at: datetime) -> dict[str, str]:
        """The customer's arm in each experiment running at ``at`` whose exposure covers
        ``placement`` (``trigger:<id>`` for a trigger's activation)."""
        trigger = placement.removeprefix("trigger:") if placement.startswith("trigger:") else None
        arms = {}
        for spec in self.experiments:
            if at < spec.start or (spec.end is not None and at >= spec.end):
                continue
            covered = (
                trigger in spec.exposure.triggers
                if trigger is not None
                else placement in spec.exposure.placements
            )
            if covered:
                arms[spec.id] = spec.arm_of(customer_id)
        return arms


def load_experiments(path: Path) -> ExperimentsFile:
    """Read ``experiments.yaml``; a missing file defines no experiment."""
    return load_model(path, ExperimentsFile) if path.exists() else ExperimentsFile()


def parse_experiments(text: str, *, name: str = "experiments.yaml") -> ExperimentsFile:
    return parse_model(text, ExperimentsFile, name=name)


class ExperimentStore(Protocol):
    """Where the definitions live: ``experiments.yaml`` on the embedded backend, PostgreSQL's
    ``experiments`` table on scale-out (shared by every API process)."""

    where: str
    """What the definitions are called in messages (the file, or the table)."""

    def current(self) -> ExperimentsFile:
        """The definitions in force; cheap, it runs on every decision. Raises
        ``InvalidConfigFile`` (file, line, field) when a file was changed into something
        invalid."""
        ...

    def replace(self, text: str) -> ExperimentsFile:
        """Make ``text`` (``experiments.yaml``'s form) the definitions, once it validates.

        Raises:
            InvalidConfigFile: naming the line and field; nothing is changed.
        """
        ...


class MemoryExperiments:
    """:class:`ExperimentStore` in memory, for an engine built without a config directory."""

    where = "experiments (in memory)"

    def __init__(self, text: str = "") -> None:
        self._file = parse_experiments(text)

    def current(self) -> ExperimentsFile:
        return self._file

    def replace(self, text: str) -> ExperimentsFile:
        self._file = parse_experiments(text)
        return self._file
