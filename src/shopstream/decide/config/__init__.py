"""Decide's configuration as YAML: triggers, offers (with eligibility and policy), segments.

:meth:`DecideConfig.build` validates the three texts together; every error is an
:class:`~shopstream.decide.errors.InvalidConfig` naming the file, the line and the field.
"""

from __future__ import annotations

from shopstream.decide.config.loader import EMPTY, KINDS, DecideConfig, check_kind, examples
from shopstream.decide.config.models import (
    ActionKind,
    Eligibility,
    Offer,
    OffersFile,
    PolicyConfig,
    QuietHours,
    Segment,
    Trigger,
    TriggerType,
)

__all__ = (
    "EMPTY",
    "KINDS",
    "ActionKind",
    "DecideConfig",
    "Eligibility",
    "Offer",
    "OffersFile",
    "PolicyConfig",
    "QuietHours",
    "Segment",
    "Trigger",
    "TriggerType",
    "check_kind",
    "examples",
)
