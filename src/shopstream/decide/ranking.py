"""What a policy answers: the eligible arms ranked, each with its score, reason and propensity."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NewType

ArmId = NewType("ArmId", str)


@dataclass(frozen=True, slots=True)
class Action:
    """One ranked arm.

    ``propensity`` is the probability, under the policy's randomisation, that this arm is
    the one chosen first (what off-policy evaluation divides by); ``score`` is the policy's
    own number (a mean, an upper bound, a posterior sample, a rule position).

    Examples:
        >>> Action(ArmId("free-shipping"), score=0.2, propensity=0.9, reason="best mean").arm
        'free-shipping'
        >>> Action(ArmId("bundle"), score=0.2, propensity=1.5, reason="?")
        Traceback (most recent call last):
        ...
        ValueError: Action.propensity must be in [0, 1]; got 1.5
    """

    arm: ArmId
    score: float
    propensity: float
    reason: str

    def __post_init__(self) -> None:
        if not 0.0 <= self.propensity <= 1.0:
            msg = f"Action.propensity must be in [0, 1]; got {self.propensity!r}"
            raise ValueError(msg)
        if math.isnan(self.score):
            msg = f"Action.score must be a number; got {self.score!r} for arm {self.arm!r}"
            raise ValueError(msg)


@dataclass(frozen=True, slots=True)
class Ranking:
    """Arms best first, and the policy (``name@version``) that ranked them.

    Examples:
        >>> ranking = Ranking((Action(ArmId("a"), 1.0, 1.0, "rule position 1"),), "rule@1")
        >>> ranking.chosen
        'a'
    """

    actions: tuple[Action, ...]
    policy: str

    @property
    def chosen(self) -> ArmId:
        """The arm ranked first: the one the policy chose."""
        return self.actions[0].arm
