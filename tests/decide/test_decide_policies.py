from __future__ import annotations

import json
import math

import numpy as np
import pytest

from shopstream.decide import (
    ArmId,
    Decision,
    DecisionId,
    InvalidContext,
    InvalidParams,
    InvalidSnapshot,
    Policy,
)
from shopstream.decide.policies import (
    EpsilonGreedy,
    FixedRule,
    LinearThompson,
    LinUCB,
    RidgeArms,
)
from shopstream.decide.simulation import SPEC, OfferWorld, Rounds

ARMS = tuple(
    ArmId(a) for a in ("kitchen-10", "free-shipping", "fashion-20", "loyalty-2x", "bundle")
)


def _trained(policy: Policy, rounds: Rounds, n: int = 300) -> Policy:
    for t in range(n):
        arm = rounds.arms[t % len(rounds.arms)]
        policy.update(rounds.contexts[t], arm, float(rounds.rewards[t, t % len(rounds.arms)]))
    return policy


def _policies(seed: int) -> list[Policy]:
    return [
        LinUCB(dim=SPEC.dim, alpha=0.7),
        LinearThompson(dim=SPEC.dim, v=0.3, seed=seed),
        EpsilonGreedy(epsilon=0.2, seed=seed),
        FixedRule(order=(ArmId("bundle"), ArmId("kitchen-10"))),
    ]


@pytest.fixture(scope="module")
def rounds() -> Rounds:
    return OfferWorld(seed=11).rounds(600)


def _choices(policy: Policy, rounds: Rounds) -> list[tuple[tuple[str, float, float], ...]]:
    return [
        tuple((a.arm, a.score, a.propensity) for a in policy.choose(x, ARMS).actions)
        for x in rounds.contexts[300:400]
    ]


def test_sherman_morrison_updates_equal_the_direct_inverse() -> None:
    rng = np.random.default_rng(5)
    ridge = RidgeArms(dim=6, l2=2.0)
    xs = rng.normal(size=(200, 6))
    ys = rng.random(200)
    for x, y in zip(xs, ys, strict=True):
        ridge.update(ArmId("a"), x, float(y))
    a = 2.0 * np.eye(6) + xs.T @ xs
    np.testing.assert_allclose(ridge.inverse(ArmId("a")), np.linalg.inv(a), rtol=1e-9, atol=1e-12)
    means, widths = ridge.estimate([ArmId("a"), ArmId("never")], xs[0])
    theta = np.linalg.solve(a, xs.T @ ys)
    assert means[0] == pytest.approx(theta @ xs[0])
    assert widths[0] == pytest.approx(math.sqrt(xs[0] @ np.linalg.solve(a, xs[0])))
    assert (means[1], widths[1]) == (0.0, pytest.approx(np.linalg.norm(xs[0]) / math.sqrt(2.0)))


def test_epsilon_greedy_propensities_are_exact_and_sum_to_one() -> None:
    policy = EpsilonGreedy(epsilon=0.3, seed=1)
    for arm, reward in (("kitchen-10", 0.2), ("bundle", 0.9), ("free-shipping", 0.5)):
        policy.update(np.zeros(0), ArmId(arm), reward)
    ranking = policy.choose(np.zeros(0), ARMS)
    propensities = {a.arm: a.propensity for a in ranking.actions}
    # fashion-20 and loyalty-2x are untried and score initial=1.0: fashion-20 comes first
    assert propensities["fashion-20"] == pytest.approx(0.7 + 0.3 / 5)
    assert propensities["bundle"] == pytest.approx(0.3 / 5)
    assert sum(propensities.values()) == pytest.approx(1.0)
    firsts = [policy.choose(np.zeros(0), ARMS).chosen for _ in range(4000)]
    assert firsts.count(ArmId("fashion-20")) / 4000 == pytest.approx(0.76, abs=0.03)


def test_thompson_propensities_sum_to_one_and_match_the_closed_form(rounds: Rounds) -> None:
    policy = _trained(LinearThompson(dim=SPEC.dim, v=0.5, seed=3), rounds)
    for x in rounds.contexts[300:320]:
        ranking = policy.choose(x, ARMS)
        assert sum(a.propensity for a in ranking.actions) == pytest.approx(1.0)
        assert ranking.actions[0].propensity > 0
    # two arms: P(a first) = Phi((mu_a - mu_b) / sqrt(sd_a^2 + sd_b^2))
    ridge = RidgeArms(dim=SPEC.dim)
    for t in range(300):
        ridge.update(ARMS[t % 2], rounds.contexts[t], float(rounds.rewards[t, t % 2]))
    x = rounds.contexts[400]
    policy._ridge = ridge  # the same statistics, read by the policy and the closed form
    means, widths = ridge.estimate(ARMS[:2], x)
    sd = 0.5 * np.hypot(widths[0], widths[1])
    exact = 0.5 * (1.0 + math.erf((means[0] - means[1]) / (sd * math.sqrt(2.0))))
    ranking = policy.choose(x, ARMS[:2])
    estimate = {a.arm: a.propensity for a in ranking.actions}[ARMS[0]]
    assert estimate == pytest.approx(exact, abs=4 * math.sqrt(exact * (1 - exact) / 1000) + 1e-3)


def test_thompson_chooses_first_in_about_the_share_it_reports(rounds: Rounds) -> None:
    policy = _trained(LinearThompson(dim=SPEC.dim, v=0.5, seed=4), rounds)
    x = rounds.contexts[450]
    reported = {a.arm: a.propensity for a in policy.choose(x, ARMS).actions}
    firsts = [policy.choose(x, ARMS).chosen for _ in range(1500)]
    for arm in ARMS:
        assert firsts.count(arm) / 1500 == pytest.approx(reported[arm], abs=0.06)


@pytest.mark.parametrize("index", range(4))
def test_deterministic_policies_put_all_propensity_on_the_first(rounds: Rounds, index: int) -> None:
    policy = _trained(_policies(seed=1)[index], rounds)
    ranking = policy.choose(rounds.contexts[500], ARMS)
    assert sorted(a.arm for a in ranking.actions) == sorted(ARMS)
    assert sum(a.propensity for a in ranking.actions) == pytest.approx(1.0)
    if isinstance(policy, LinUCB | FixedRule):
        assert [a.propensity for a in ranking.actions] == [1.0, 0.0, 0.0, 0.0, 0.0]
        scores = [a.score for a in ranking.actions]
        assert scores == sorted(scores, reverse=True)


def test_linucb_breaks_ties_by_the_order_of_the_arms() -> None:
    policy = LinUCB(dim=2)
    x = np.array([1.0, 0.5])
    assert policy.choose(x, ARMS).chosen == ARMS[0]
    assert policy.choose(x, ARMS[::-1]).chosen == ARMS[-1]
    assert [a.arm for a in policy.choose(x, ARMS, k=2).actions] == list(ARMS[:2])


def test_fixed_rule_follows_its_order_then_the_arms_order() -> None:
    ranking = FixedRule(order=(ArmId("bundle"), ArmId("kitchen-10"))).choose(np.zeros(1), ARMS)
    assert [a.arm for a in ranking.actions] == [
        "bundle",
        "kitchen-10",
        "free-shipping",
        "fashion-20",
        "loyalty-2x",
    ]
    assert ranking.policy == "rule@1"


@pytest.mark.parametrize("index", range(4))
def test_same_seed_gives_the_same_choices(rounds: Rounds, index: int) -> None:
    one = _trained(_policies(seed=9)[index], rounds)
    two = _trained(_policies(seed=9)[index], rounds)
    assert _choices(one, rounds) == _choices(two, rounds)


@pytest.mark.parametrize("index", range(4))
def test_snapshot_round_trip_gives_identical_choices(rounds: Rounds, index: int) -> None:
    policy = _trained(_policies(seed=9)[index], rounds)
    policy.choose(rounds.contexts[0], ARMS)  # move the RNG along
    snapshot = json.loads(json.dumps(policy.to_snapshot()))
    restored = type(policy).from_snapshot(snapshot)  # type: ignore[attr-defined]
    assert _choices(restored, rounds) == _choices(policy, rounds)


def test_snapshot_of_another_policy_is_refused(rounds: Rounds) -> None:
    snapshot = _trained(LinUCB(dim=SPEC.dim), rounds).to_snapshot()
    with pytest.raises(InvalidSnapshot) as error:
        LinearThompson.from_snapshot(snapshot)
    assert error.value.field == "policy"
    with pytest.raises(InvalidSnapshot):
        LinUCB.from_snapshot({**snapshot, "params": {"dim": SPEC.dim, "gamma": 1.0}})


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: LinUCB(dim=3, alpha=-0.1), "alpha"),
        (lambda: LinUCB(dim=0), "dim"),
        (lambda: LinUCB(dim=3, l2=0.0), "l2"),
        (lambda: LinearThompson(dim=3, v=-1.0), "v"),
        (lambda: LinearThompson(dim=3, propensity_draws=0), "propensity_draws"),
        (lambda: EpsilonGreedy(epsilon=1.5), "epsilon"),
        (lambda: EpsilonGreedy(epsilon=float("nan")), "epsilon"),
        (lambda: FixedRule(order=(ArmId("a"), ArmId("a"))), "order"),
        (lambda: FixedRule(order=(), version=0), "version"),
        (lambda: OfferWorld(noise=-1.0), "noise"),
    ],
)
def test_bad_hyperparameters_are_refused(build: object, field: str) -> None:
    with pytest.raises(InvalidParams) as error:
        build()  # type: ignore[operator]
    assert isinstance(error.value, ValueError)
    assert error.value.field == field
    assert error.value.code == "decide.invalid-params"
    assert field in str(error.value)


def test_bad_contexts_and_arms_are_refused() -> None:
    policy = LinUCB(dim=3)
    with pytest.raises(InvalidContext, match="length 3"):
        policy.choose(np.zeros(4), ARMS)
    with pytest.raises(InvalidContext, match="finite"):
        policy.update(np.array([1.0, np.nan, 0.0]), ARMS[0], 1.0)
    with pytest.raises(InvalidContext, match="distinct"):
        policy.choose(np.zeros(3), [ARMS[0], ARMS[0]])
    with pytest.raises(InvalidContext, match="at least one"):
        EpsilonGreedy().choose(np.zeros(0), [])
    with pytest.raises(InvalidContext, match="k must be"):
        FixedRule(order=()).choose(np.zeros(0), ARMS, k=0)


def test_decision_carries_the_ranking_and_its_provenance(rounds: Rounds) -> None:
    policy = LinearThompson(dim=SPEC.dim, seed=2, version=3)
    ranking = policy.choose(rounds.contexts[0], ARMS, k=2)
    decision = Decision.from_ranking(DecisionId("d-1"), ranking)
    assert decision.policy == "linear-thompson@3"
    assert len(decision.actions) == 2
    assert all(a.reason.startswith("thompson:") for a in decision.actions)
    with pytest.raises(AttributeError):
        decision.policy = "x"  # type: ignore[misc]
