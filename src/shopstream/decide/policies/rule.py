"""A fixed preference order: the rule baseline a merchandiser would write."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from shopstream.decide._numpy import Vector, np
from shopstream.decide.policies._inputs import check_arms, from_params, require
from shopstream.decide.policies._ranks import rank
from shopstream.decide.policy import Snapshot
from shopstream.decide.ranking import ArmId, Ranking


@dataclass(kw_only=True, slots=True, eq=False)
class FixedRule:
    """Arms in ``order``; arms it does not name follow, in the order they were given.

    Deterministic and deaf to rewards: ``update`` learns nothing. The first arm has
    propensity 1, the others 0; an arm's score is minus its position.

    Examples:
        >>> rule = FixedRule(order=(ArmId("free-shipping"), ArmId("bundle")))
        >>> ranking = rule.choose(np.zeros(0), [ArmId("kitchen-10"), ArmId("bundle")])
        >>> [(a.arm, a.propensity) for a in ranking.actions]
        [('bundle', 1.0), ('kitchen-10', 0.0)]
    """

    name: ClassVar[str] = "rule"

    order: tuple[ArmId, ...]
    version: int = 1

    def __post_init__(self) -> None:
        distinct = len(set(self.order)) == len(self.order)
        require("FixedRule", "order", self.order, distinct, "distinct arms")
        require("FixedRule", "version", self.version, self.version >= 1, "an integer >= 1")

    def choose(self, context: Vector, arms: Sequence[ArmId], *, k: int | None = None) -> Ranking:
        count = check_arms("FixedRule", arms, k)
        unnamed = len(self.order)
        positions = np.array(
            [self.order.index(arm) if arm in self.order else unnamed for arm in arms], dtype=float
        )
        propensities = np.zeros(len(arms))
        propensities[int(np.lexsort((np.arange(len(arms)), positions))[0])] = 1.0
        return rank(
            arms,
            -positions,
            propensities,
            lambda i: (
                f"rule: position {int(positions[i]) + 1} of {unnamed}"
                if positions[i] < unnamed
                else "rule: not named by the rule"
            ),
            count=count,
            policy=f"{self.name}@{self.version}",
        )

    def update(self, context: Vector, arm: ArmId, reward: float) -> None:
        """Nothing to learn: a rule does not change with rewards."""

    def to_snapshot(self) -> Snapshot:
        return {"policy": self.name, "params": {"order": list(self.order), "version": self.version}}

    @classmethod
    def from_snapshot(cls, snapshot: Snapshot) -> FixedRule:
        def build(order: list[str], version: int) -> FixedRule:
            return cls(order=tuple(ArmId(arm) for arm in order), version=version)

        return from_params(build, snapshot, cls.name)
