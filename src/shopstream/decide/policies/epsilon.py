"""Epsilon-greedy over per-arm mean rewards: the context-free baseline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from shopstream.decide._numpy import Vector, np
from shopstream.decide.errors import InvalidSnapshot
from shopstream.decide.policies._inputs import (
    check_arms,
    from_params,
    require,
    restored_rng,
    rng_state,
    snapshot_field,
)
from shopstream.decide.policies._ranks import rank
from shopstream.decide.policy import Snapshot
from shopstream.decide.ranking import ArmId, Ranking


@dataclass(kw_only=True, slots=True, eq=False)
class EpsilonGreedy:
    """With probability ``epsilon`` a uniformly random arm, otherwise the best mean reward.

    The context is ignored. An arm never rewarded scores ``initial`` (optimistic by
    default, so each arm is tried early). The propensities are exact: the greedy arm
    ``1 - epsilon + epsilon / n``, every other ``epsilon / n``; equal means keep the order
    in which the arms were given.

    Args:
        epsilon: the share of random choices, in [0, 1].
        initial: the score of an arm with no rewards yet.
        seed: the same seed, updates and arms give the same rankings.
        version: named in every ranking as ``epsilon-greedy@version``.

    Examples:
        >>> policy = EpsilonGreedy(epsilon=0.1, seed=42)
        >>> policy.update(np.zeros(0), ArmId("a"), 1.0)
        >>> policy.update(np.zeros(0), ArmId("b"), 0.0)
        >>> ranking = policy.choose(np.zeros(0), [ArmId("a"), ArmId("b")])
        >>> ranking.chosen, [round(a.propensity, 3) for a in ranking.actions]
        ('a', [0.95, 0.05])
        >>> EpsilonGreedy(epsilon=1.5)
        Traceback (most recent call last):
        ...
        shopstream.decide.errors.InvalidParams: EpsilonGreedy.epsilon must be in [0, 1]; got 1.5
    """

    name: ClassVar[str] = "epsilon-greedy"

    epsilon: float = 0.1
    initial: float = 1.0
    seed: int | None = None
    version: int = 1
    _counts: dict[ArmId, int] = field(default_factory=dict, init=False, repr=False)
    _sums: dict[ArmId, float] = field(default_factory=dict, init=False, repr=False)
    _rng: np.random.Generator = field(init=False, repr=False)

    def __post_init__(self) -> None:
        require("EpsilonGreedy", "epsilon", self.epsilon, 0 <= self.epsilon <= 1, "in [0, 1]")
        require("EpsilonGreedy", "initial", self.initial, np.isfinite(self.initial), "finite")
        require("EpsilonGreedy", "version", self.version, self.version >= 1, "an integer >= 1")
        self._rng = np.random.default_rng(self.seed)

    def choose(
        self,
        context: Vector,
        arms: Sequence[ArmId],
        *,
        k: int | None = None,
        rng: np.random.Generator | None = None,
    ) -> Ranking:
        """Rank ``arms``; ``rng`` (default: the policy's own) draws the randomness, so a
        caller outside the policy's replayed stream can leave the policy's state alone."""
        rng = rng if rng is not None else self._rng
        count = check_arms("EpsilonGreedy", arms, k)
        means = np.array([self._mean(arm) for arm in arms])
        greedy = int(np.lexsort((np.arange(len(arms)), -means))[0])
        n = len(arms)
        propensities = np.full(n, self.epsilon / n)
        propensities[greedy] += 1.0 - self.epsilon
        explore = rng.random() < self.epsilon
        first = int(rng.integers(n)) if explore else greedy
        return rank(
            arms,
            means,
            propensities,
            lambda i: (
                "epsilon-greedy: explored at random"
                if explore and i == first
                else f"epsilon-greedy: mean reward {means[i]:.3f} over {self._counts.get(arms[i], 0)}"
            ),
            count=count,
            policy=f"{self.name}@{self.version}",
            first=first,
        )

    def update(self, context: Vector, arm: ArmId, reward: float) -> None:
        self._counts[arm] = self._counts.get(arm, 0) + 1
        self._sums[arm] = self._sums.get(arm, 0.0) + float(reward)

    def to_snapshot(self) -> Snapshot:
        params = {
            "epsilon": self.epsilon,
            "initial": self.initial,
            "seed": self.seed,
            "version": self.version,
        }
        arms = {arm: [self._counts[arm], self._sums[arm]] for arm in self._counts}
        return {"policy": self.name, "params": params, "arms": arms, "rng": rng_state(self._rng)}

    @classmethod
    def from_snapshot(cls, snapshot: Snapshot) -> EpsilonGreedy:
        policy = from_params(cls, snapshot, cls.name)
        arms = snapshot_field(snapshot, cls.name, "arms")
        try:
            stats = {ArmId(arm): (int(n), float(total)) for arm, (n, total) in arms.items()}
        except (AttributeError, TypeError, ValueError) as exc:
            msg = f"epsilon-greedy snapshot.arms must map arm -> [count, sum]: {exc}"
            raise InvalidSnapshot(msg, field="arms") from exc
        policy._counts = {arm: n for arm, (n, _) in stats.items()}
        policy._sums = {arm: total for arm, (_, total) in stats.items()}
        policy._rng = restored_rng(snapshot_field(snapshot, cls.name, "rng"))
        return policy

    def _mean(self, arm: ArmId) -> float:
        n = self._counts.get(arm, 0)
        return self._sums[arm] / n if n else self.initial
