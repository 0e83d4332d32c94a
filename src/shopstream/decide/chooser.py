"""The bandit behind triggers and ``/v1/decide``: which eligible offer, with its propensity.

The context is a handful of profile and request features (:data:`CONTEXT`). The policy
(LinUCB by default; linear Thompson sampling, epsilon-greedy or a fixed rule by
configuration) learns inside the stream processor, from the log: an activation opens a
reward window, the configured reward event (``Order Completed``) from that customer within
it is a reward of 1, the window closing without one a reward of 0. Requests to
``/v1/decide`` rank with the same policy but draw any randomness from their own generator
(seeded by the decision id), so serving never changes the replayed state.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from typing import Any

from shopstream.decide.config import PolicyConfig
from shopstream.decide.facts import Facts
from shopstream.decide.policy import Policy, Snapshot
from shopstream.decide.ranking import Action, ArmId, Ranking

CHANNELS = ("email", "sms", "push", "web", "app", "associate")
_DAY = 86400.0


def context_features(facts: Facts, channel: str) -> dict[str, float | str]:
    """The named features the policy's context vector is made of."""
    last = facts.name("days_since_last_order")
    orders = facts.name("order_count") or 0.0
    return {
        "intent": float(facts.name("intent") or 0.0),
        "recency": math.exp(-last / 30.0) if isinstance(last, float) else 0.0,
        "frequency": math.log1p(orders) / 3.0,
        "cart": min(float(facts.name("cart_items") or 0.0), 10.0) / 10.0,
        "in_store": 1.0 if facts.name("in_store") else 0.0,
        "channel": channel,
        "hour": float(facts.name("hour") or 0.0),
    }


class Chooser:
    """The configured policy and its context layout; ``None`` policy without numpy.

    Without numpy (``shopstream[ml]`` not installed) offers are ranked in the order the
    trigger or the configuration lists them, the first with propensity 1.
    """

    def __init__(self, config: PolicyConfig, snapshot: Snapshot | None = None) -> None:
        self.config = config
        self.spec: Any = None
        self.policy: Policy | None = None
        try:
            from shopstream.decide.features import FeatureSpec
        except ImportError:
            return
        self.spec = FeatureSpec(
            numeric=("intent", "recency", "frequency", "cart", "in_store"),
            categorical={"channel": CHANNELS},
            cyclic={"hour": 24.0},
        )
        self.policy = _restore(snapshot) if snapshot is not None else _build(config, self.spec.dim)

    def rank(
        self, features: dict[str, float | str], arms: Sequence[str], *, seed: str | None = None
    ) -> Ranking:
        """Every arm ranked; ``seed`` (a decision id) gives the request its own randomness."""
        arms = [ArmId(a) for a in arms]
        if self.policy is None:
            return Ranking(
                tuple(
                    Action(a, -float(i), 1.0 if i == 0 else 0.0, "configured order")
                    for i, a in enumerate(arms)
                ),
                "order@1",
            )
        context = self.spec.vector(features)
        if seed is not None and self.config.name in ("linear-thompson", "epsilon-greedy"):
            import numpy as np

            rng = np.random.default_rng(int(hashlib.sha256(seed.encode()).hexdigest()[:16], 16))
            return self.policy.choose(context, arms, rng=rng)  # type: ignore[call-arg]
        return self.policy.choose(context, arms)

    def update(self, features: dict[str, float | str], arm: str, reward: float) -> None:
        if self.policy is not None:
            self.policy.update(self.spec.vector(features), ArmId(arm), reward)

    def to_snapshot(self) -> Snapshot | None:
        return self.policy.to_snapshot() if self.policy is not None else None


def _build(config: PolicyConfig, dim: int) -> Policy:
    from shopstream.decide.policies import EpsilonGreedy, FixedRule, LinearThompson, LinUCB

    if config.name == "linucb":
        return LinUCB(dim=dim, alpha=config.alpha)
    if config.name == "linear-thompson":
        return LinearThompson(dim=dim, v=config.v, seed=config.seed)
    if config.name == "epsilon-greedy":
        return EpsilonGreedy(epsilon=config.epsilon, seed=config.seed)
    return FixedRule(order=())


def _restore(snapshot: Snapshot) -> Policy:
    from shopstream.decide.policies import EpsilonGreedy, FixedRule, LinearThompson, LinUCB

    kinds: dict[Any, Any] = {
        "linucb": LinUCB, "linear-thompson": LinearThompson,
        "epsilon-greedy": EpsilonGreedy, "rule": FixedRule,
    }  # fmt: skip
    policy: Policy = kinds[snapshot["policy"]].from_snapshot(snapshot)
    return policy
