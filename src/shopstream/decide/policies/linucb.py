"""LinUCB with disjoint linear models (Li, Chu, Langford & Schapire, WWW 2010)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from shopstream.decide._numpy import Vector, np
from shopstream.decide.policies._inputs import (
    check_arms,
    check_context,
    from_params,
    require,
    snapshot_field,
)
from shopstream.decide.policies._ranks import rank
from shopstream.decide.policies.ridge import RidgeArms
from shopstream.decide.policy import Snapshot
from shopstream.decide.ranking import ArmId, Ranking


@dataclass(kw_only=True, slots=True, eq=False)
class LinUCB:
    """Per-arm ridge regression; each arm scores its estimate plus ``alpha`` widths of its
    confidence ellipsoid, ``theta_a . x + alpha sqrt(x^T A_a^-1 x)``.

    Deterministic: the best score is chosen with propensity 1, the others 0, and equal scores
    keep the order in which the arms were given.

    Args:
        dim: the length of the context vector.
        alpha: how many widths of optimism; 0 is greedy.
        l2: the ridge penalty (the prior's precision).
        version: named in every ranking as ``linucb@version``.

    Examples:
        >>> policy = LinUCB(dim=2, alpha=0.5)
        >>> arms = [ArmId("a"), ArmId("b")]
        >>> for _ in range(20):
        ...     policy.update(np.array([1.0, 0.0]), ArmId("a"), 1.0)
        ...     policy.update(np.array([1.0, 0.0]), ArmId("b"), 0.0)
        >>> ranking = policy.choose(np.array([1.0, 0.0]), arms)
        >>> ranking.chosen, ranking.policy, [a.propensity for a in ranking.actions]
        ('a', 'linucb@1', [1.0, 0.0])
    """

    name: ClassVar[str] = "linucb"

    dim: int
    alpha: float = 1.0
    l2: float = 1.0
    version: int = 1
    _ridge: RidgeArms = field(init=False, repr=False)

    def __post_init__(self) -> None:
        require("LinUCB", "alpha", self.alpha, self.alpha >= 0, ">= 0")
        require("LinUCB", "version", self.version, self.version >= 1, "an integer >= 1")
        self._ridge = RidgeArms(dim=self.dim, l2=self.l2)

    def choose(self, context: Vector, arms: Sequence[ArmId], *, k: int | None = None) -> Ranking:
        count = check_arms("LinUCB", arms, k)
        x = check_context("LinUCB", context, self.dim)
        means, widths = self._ridge.estimate(arms, x)
        scores = means + self.alpha * widths
        best = int(np.argmax(scores))  # the first of equal scores, as rank() orders them
        propensities = np.zeros(len(arms))
        propensities[best] = 1.0
        return rank(
            arms,
            scores,
            propensities,
            lambda i: f"linucb: estimate {means[i]:.3f} + {self.alpha:g} x width {widths[i]:.3f}",
            count=count,
            policy=f"{self.name}@{self.version}",
        )

    def update(self, context: Vector, arm: ArmId, reward: float) -> None:
        self._ridge.update(arm, check_context("LinUCB", context, self.dim), float(reward))

    def to_snapshot(self) -> Snapshot:
        params = {"dim": self.dim, "alpha": self.alpha, "l2": self.l2, "version": self.version}
        return {"policy": self.name, "params": params, "arms": self._ridge.to_snapshot()}

    @classmethod
    def from_snapshot(cls, snapshot: Snapshot) -> LinUCB:
        policy = from_params(cls, snapshot, cls.name)
        policy._ridge.restore(snapshot_field(snapshot, cls.name, "arms"))
        return policy
