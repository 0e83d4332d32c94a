"""Off-policy estimates on a simulated bandit whose candidate's true value is known."""

from __future__ import annotations

import numpy as np
import pytest

from shopstream.measure import InvalidMeasureInput
from shopstream.measure.offpolicy import IPS, SNIPS, BanditLogs, DoublyRobust

ACTIONS = 3
BIAS = np.array([-1.0, 0.0, -0.5])
SLOPE = np.array([1.5, -1.0, 0.2])


def _expected_reward(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-(BIAS + np.outer(x, SLOPE))))


def _softmax(scores: np.ndarray) -> np.ndarray:
    exp = np.exp(scores - scores.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def _logging(x: np.ndarray) -> np.ndarray:
    return _softmax(np.outer(x, [-0.5, 0.5, 0.0]))


def _candidate(x: np.ndarray) -> np.ndarray:
    return _softmax(3.0 * np.outer(x, SLOPE))  # leans to the arm best for each context


def _simulate(rng: np.random.Generator, n: int) -> tuple[BanditLogs, np.ndarray, np.ndarray]:
    x = rng.normal(size=n)
    logging, mean = _logging(x), _expected_reward(x)
    actions = (rng.random(n)[:, None] > logging.cumsum(axis=1)).sum(axis=1)
    rows = np.arange(n)
    rewards = (rng.random(n) < mean[rows, actions]).astype(float)
    predictions = np.clip(mean + rng.normal(0, 0.05, mean.shape), 0, 1)  # a decent model
    logs = BanditLogs.of(actions, rewards, logging[rows, actions])
    return logs, _candidate(x), predictions


def _true_value() -> float:
    x = np.random.default_rng(0).normal(size=1_000_000)
    return float((_candidate(x) * _expected_reward(x)).sum(axis=1).mean())


TRUTH = _true_value()


def test_ips_snips_and_dr_recover_the_true_value() -> None:
    logs, target, predictions = _simulate(np.random.default_rng(1), 50_000)
    for estimate in (
        IPS().estimate(logs, target),
        SNIPS().estimate(logs, target),
        DoublyRobust().estimate(logs, target, predictions),
    ):
        assert estimate.n == 50_000
        assert abs(estimate.value - TRUTH) < 3 * estimate.standard_error, (estimate, TRUTH)
        low, high = estimate.interval(0.999)
        assert low < TRUTH < high


def test_doubly_robust_varies_less_than_ips() -> None:
    rng = np.random.default_rng(2)
    ips, dr, ips_se, dr_se = [], [], [], []
    for _ in range(60):
        logs, target, predictions = _simulate(rng, 2_000)
        a, b = IPS().estimate(logs, target), DoublyRobust().estimate(logs, target, predictions)
        ips.append(a.value)
        dr.append(b.value)
        ips_se.append(a.standard_error)
        dr_se.append(b.standard_error)
    assert np.var(dr, ddof=1) < 0.5 * np.var(ips, ddof=1)
    assert np.mean(dr_se) < np.mean(ips_se)
    # the standard errors describe the spread across replications
    assert np.mean(ips_se) == pytest.approx(np.std(ips, ddof=1), rel=0.3)
    assert np.mean(dr_se) == pytest.approx(np.std(dr, ddof=1), rel=0.3)


def test_the_logging_policy_evaluates_to_its_mean_reward() -> None:
    logs = BanditLogs.of([0, 1, 1, 0], [1.0, 0.0, 1.0, 0.0], [0.5, 0.5, 0.5, 0.5])
    same = np.full((4, 2), 0.5)
    assert IPS().estimate(logs, same).value == pytest.approx(0.5)
    assert SNIPS().estimate(logs, same).value == pytest.approx(0.5)


def test_capping_weights() -> None:
    logs = BanditLogs.of([0, 1], [1.0, 1.0], [0.1, 0.9])
    target = np.array([[1.0, 0.0], [1.0, 0.0]])
    assert IPS().estimate(logs, target).value == pytest.approx(5.0)  # (10 * 1 + 0) / 2
    assert IPS(max_weight=2.0).estimate(logs, target).value == pytest.approx(1.0)
    with pytest.raises(InvalidMeasureInput):
        IPS(max_weight=0.0)


def test_malformed_logs_and_targets_are_rejected() -> None:
    with pytest.raises(InvalidMeasureInput):
        BanditLogs.of([0, 1], [1.0], [0.5, 0.5])
    with pytest.raises(InvalidMeasureInput):
        BanditLogs.of([0, 1], [1.0, 0.0], [0.5, 0.0])
    logs = BanditLogs.of([0, 2], [1.0, 0.0], [0.5, 0.5])
    with pytest.raises(InvalidMeasureInput):
        IPS().estimate(logs, np.full((2, 2), 0.5))  # action 2 has no column
    with pytest.raises(InvalidMeasureInput):
        IPS().estimate(logs, np.full((2, 3), 0.5))  # rows do not sum to 1
    with pytest.raises(InvalidMeasureInput):
        DoublyRobust().estimate(logs, np.full((2, 3), 1 / 3), np.zeros((2, 2)))
    with pytest.raises(InvalidMeasureInput):
        SNIPS().estimate(logs, np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]))
