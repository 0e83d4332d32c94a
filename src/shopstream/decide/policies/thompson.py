"""Linear Thompson sampling (Agrawal & Goyal, ICML 2013), disjoint per arm."""

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
    restored_rng,
    rng_state,
    snapshot_field,
)
from shopstream.decide.policies._ranks import rank
from shopstream.decide.policies.ridge import RidgeArms
from shopstream.decide.policy import Snapshot
from shopstream.decide.ranking import ArmId, Ranking


@dataclass(kw_only=True, slots=True, eq=False)
class LinearThompson:
    """Per-arm Bayesian linear regression; each arm scores a draw from its posterior.

    Arm ``a``'s posterior is ``theta_a ~ N(A_a^-1 b_a, v^2 A_a^-1)``, so for a context ``x``
    its score ``theta_a . x`` is normal with mean ``mu_a . x`` and standard deviation
    ``v sqrt(x^T A_a^-1 x)``: the policy draws those scores directly, and ranks by them.

    The propensity of each arm being chosen first has no closed form; it is estimated from
    ``propensity_draws`` draws of all arms' scores from the same posterior and the policy's
    own seeded RNG, the realised draw among them, so the chosen arm's propensity is never
    zero (at least ``1 / propensity_draws``). The standard error of an estimate ``p`` is
    ``sqrt(p (1 - p) / propensity_draws)``, at most 0.016 with the default 1,000 draws.

    Args:
        dim: the length of the context vector.
        v: the posterior's scale: larger explores more; 0 is greedy.
        l2: the ridge penalty (the prior's precision).
        propensity_draws: draws per decision for the propensities.
        seed: the same seed, updates and contexts give the same rankings.
        version: named in every ranking as ``linear-thompson@version``.

    Examples:
        >>> policy = LinearThompson(dim=1, v=0.1, seed=7)
        >>> for _ in range(50):
        ...     policy.update(np.array([1.0]), ArmId("a"), 1.0)
        ...     policy.update(np.array([1.0]), ArmId("b"), 0.0)
        >>> ranking = policy.choose(np.array([1.0]), [ArmId("a"), ArmId("b")])
        >>> ranking.chosen, [round(a.propensity, 2) for a in ranking.actions]
        ('a', [1.0, 0.0])
    """

    name: ClassVar[str] = "linear-thompson"

    dim: int
    v: float = 0.25
    l2: float = 1.0
    propensity_draws: int = 1000
    seed: int | None = None
    version: int = 1
    _ridge: RidgeArms = field(init=False, repr=False)
    _rng: np.random.Generator = field(init=False, repr=False)

    def __post_init__(self) -> None:
        require("LinearThompson", "v", self.v, self.v >= 0, ">= 0")
        require(
            "LinearThompson",
            "propensity_draws",
            self.propensity_draws,
            self.propensity_draws >= 1,
            "an integer >= 1",
        )
        require("LinearThompson", "version", self.version, self.version >= 1, "an integer >= 1")
        self._ridge = RidgeArms(dim=self.dim, l2=self.l2)
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
        count = check_arms("LinearThompson", arms, k)
        x = check_context("LinearThompson", context, self.dim)
        means, widths = self._ridge.estimate(arms, x)
        draws = means + self.v * widths * rng.standard_normal((self.propensity_draws, len(arms)))
        winners = draws.argmax(axis=1)  # a tie (v = 0) goes to the earlier arm, as in rank()
        propensities = np.bincount(winners, minlength=len(arms)) / self.propensity_draws
        scores = draws[0]  # the realised draw
        return rank(
            arms,
            scores,
            propensities,
            lambda i: (
                f"thompson: sampled {scores[i]:.3f} from mean {means[i]:.3f} sd {self.v * widths[i]:.3f}"
            ),
            count=count,
            policy=f"{self.name}@{self.version}",
        )

    def update(self, context: Vector, arm: ArmId, reward: float) -> None:
        self._ridge.update(arm, check_context("LinearThompson", context, self.dim), float(reward))

    def to_snapshot(self) -> Snapshot:
        params = {
            "dim": self.dim,
            "v": self.v,
            "l2": self.l2,
            "propensity_draws": self.propensity_draws,
            "seed": self.seed,
            "version": self.version,
        }
        return {
            "policy": self.name,
            "params": params,
            "arms": self._ridge.to_snapshot(),
            "rng": rng_state(self._rng),
        }

    @classmethod
    def from_snapshot(cls, snapshot: Snapshot) -> LinearThompson:
        policy = from_params(cls, snapshot, cls.name)
        policy._ridge.restore(snapshot_field(snapshot, cls.name, "arms"))
        policy._rng = restored_rng(snapshot_field(snapshot, cls.name, "rng"))
        return policy
