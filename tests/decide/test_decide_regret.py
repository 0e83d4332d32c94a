"""Regret on the simulated offer world: the contextual bandits must beat the baselines."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from numpy.typing import NDArray

from shopstream.decide import ArmId, Policy, Ranking, Snapshot
from shopstream.decide.policies import EpsilonGreedy, FixedRule, LinearThompson, LinUCB
from shopstream.decide.simulation import SPEC, OfferWorld, play

SEED = 20260406
ROUNDS = 5000
MARGIN = 0.6  # a contextual policy's regret must be below 60 % of each baseline's


@pytest.fixture(scope="module")
def regrets() -> dict[str, float]:
    rounds = OfferWorld(seed=SEED).rounds(ROUNDS)
    policies: dict[str, Policy] = {
        "linucb": LinUCB(dim=SPEC.dim, alpha=1.0),
        "thompson": LinearThompson(dim=SPEC.dim, v=0.25, seed=SEED),
        "epsilon": EpsilonGreedy(epsilon=0.1, seed=SEED),
        "rule": FixedRule(order=(ArmId("free-shipping"),)),
        # blind: LinUCB that sees only the bias column, i.e. ignores the context
        "blind": _Blind(LinUCB(dim=SPEC.dim, alpha=1.0)),
    }
    return {name: play(policy, rounds).regret for name, policy in policies.items()}


@pytest.mark.parametrize("contextual", ["linucb", "thompson"])
@pytest.mark.parametrize("baseline", ["epsilon", "rule"])
def test_contextual_policy_beats_the_baseline(
    regrets: dict[str, float], contextual: str, baseline: str
) -> None:
    assert regrets[contextual] < MARGIN * regrets[baseline], regrets


@pytest.mark.parametrize("baseline", ["epsilon", "rule"])
def test_a_policy_that_ignores_the_context_fails_the_same_check(
    regrets: dict[str, float], baseline: str
) -> None:
    assert regrets["blind"] >= MARGIN * regrets[baseline], regrets


class _Blind:
    """A policy whose contexts are stripped to the bias: proof that the check can fail."""

    def __init__(self, inner: LinUCB) -> None:
        self.inner = inner

    def choose(
        self, context: NDArray[np.float64], arms: Sequence[ArmId], *, k: int | None = None
    ) -> Ranking:
        return self.inner.choose(self._strip(context), arms, k=k)

    def update(self, context: NDArray[np.float64], arm: ArmId, reward: float) -> None:
        self.inner.update(self._strip(context), arm, reward)

    def to_snapshot(self) -> Snapshot:
        return self.inner.to_snapshot()

    @staticmethod
    def _strip(context: NDArray[np.float64]) -> NDArray[np.float64]:
        blind = np.zeros_like(context)
        blind[0] = 1.0  # SPEC's bias column
        return blind
