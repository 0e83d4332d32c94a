"""Off-policy evaluation: what a candidate policy would have earned, from another's logs.

Each log row is a decision the logging policy took: an action ``a_i`` chosen with
``propensity p_i`` (the logged probability, STYLE rule 15) and the ``reward r_i`` that
followed. The context is not needed once the candidate's action probabilities
``pi(a | x_i)`` (``target``, one row per log row) and, for the doubly robust estimate, a
reward model's predictions ``q(x_i, a)`` are evaluated on it. With importance weights
``w_i = pi(a_i | x_i) / p_i``, capped at ``max_weight`` (no cap by default):

- :class:`IPS`: ``mean(w_i r_i)``; unbiased when no weight is capped;
- :class:`SNIPS`: ``sum(w_i r_i) / sum(w_i)``; slightly biased, far steadier when weights vary;
- :class:`DoublyRobust`: ``mean(sum_a pi(a|x_i) q(x_i, a) + w_i (r_i - q(x_i, a_i)))``:
  unbiased if either the propensities or the reward model are right, and with a decent
  reward model much less variable than IPS.

Standard errors are the sample standard deviation of the per-row terms over ``sqrt(n)``
(for SNIPS, its delta-method linearisation). Needs numpy and scipy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from shopstream.measure.errors import InvalidMeasureInput, MissingExtra

try:
    import numpy as np
    from numpy.typing import ArrayLike
    from scipy.stats import norm
except ImportError as exc:  # pragma: no cover - the ml extra is installed in CI
    msg = f"shopstream.measure's off-policy estimators need numpy and scipy: pip install 'shopstream[ml]' ({exc})"
    raise MissingExtra(msg) from exc


@dataclass(frozen=True, slots=True, eq=False)
class BanditLogs:
    """Logged decisions as arrays: action index, reward and logging propensity per row."""

    actions: np.ndarray
    rewards: np.ndarray
    propensities: np.ndarray

    @classmethod
    def of(cls, actions: ArrayLike, rewards: ArrayLike, propensities: ArrayLike) -> BanditLogs:
        """Validate and convert the three columns.

        Raises:
            InvalidMeasureInput: columns of different lengths or not one-dimensional, a
                negative action index, or a propensity outside (0, 1].
        """
        columns = (
            np.asarray(actions, dtype=np.int64),
            np.asarray(rewards, dtype=float),
            np.asarray(propensities, dtype=float),
        )
        if any(c.ndim != 1 or c.shape != columns[0].shape for c in columns) or not columns[0].size:
            msg = f"actions, rewards and propensities must be non-empty 1-D columns of one length; got shapes {[c.shape for c in columns]}"
            raise InvalidMeasureInput(msg, field="actions")
        if (columns[0] < 0).any():
            msg = "actions must be non-negative action indices"
            raise InvalidMeasureInput(msg, field="actions")
        if not np.isfinite(columns[1]).all():
            msg = "rewards must be finite"
            raise InvalidMeasureInput(msg, field="rewards")
        if not ((columns[2] > 0) & (columns[2] <= 1)).all():
            msg = "propensities must be in (0, 1]: a logged action had a chance to be chosen"
            raise InvalidMeasureInput(msg, field="propensities")
        return cls(*columns)

    def __len__(self) -> int:
        return int(self.actions.size)


@dataclass(frozen=True, slots=True)
class PolicyValue:
    """The estimated ``value`` (mean reward per decision) with its ``standard_error``."""

    value: float
    standard_error: float
    n: int

    def interval(self, confidence: float = 0.95) -> tuple[float, float]:
        """The normal-approximation confidence interval of the value."""
        half = float(norm.ppf(0.5 + confidence / 2)) * self.standard_error
        return self.value - half, self.value + half


@dataclass(frozen=True, slots=True)
class IPS:
    """Inverse propensity scoring."""

    max_weight: float = math.inf

    def __post_init__(self) -> None:
        _require_cap(type(self).__name__, self.max_weight)

    def estimate(self, logs: BanditLogs, target: ArrayLike) -> PolicyValue:
        terms = _weights(logs, _probabilities(logs, target), self.max_weight) * logs.rewards
        return _mean(terms)


@dataclass(frozen=True, slots=True)
class SNIPS:
    """Self-normalised inverse propensity scoring."""

    max_weight: float = math.inf

    def __post_init__(self) -> None:
        _require_cap(type(self).__name__, self.max_weight)

    def estimate(self, logs: BanditLogs, target: ArrayLike) -> PolicyValue:
        weights = _weights(logs, _probabilities(logs, target), self.max_weight)
        total = float(weights.sum())
        if total == 0:
            msg = "the candidate gives probability 0 to every logged action; SNIPS is undefined"
            raise InvalidMeasureInput(msg, field="target")
        value = float((weights * logs.rewards).sum()) / total
        spread = math.sqrt(float((weights**2 * (logs.rewards - value) ** 2).sum()))
        return PolicyValue(value, spread / total, len(logs))


@dataclass(frozen=True, slots=True)
class DoublyRobust:
    """The reward model's value of the candidate, corrected by the weighted residuals."""

    max_weight: float = math.inf

    def __post_init__(self) -> None:
        _require_cap(type(self).__name__, self.max_weight)

    def estimate(self, logs: BanditLogs, target: ArrayLike, predictions: ArrayLike) -> PolicyValue:
        probabilities = _probabilities(logs, target)
        predicted = np.asarray(predictions, dtype=float)
        if predicted.shape != probabilities.shape or not np.isfinite(predicted).all():
            msg = f"predictions must be finite, one row per log row and one column per action like target; got shape {predicted.shape}"
            raise InvalidMeasureInput(msg, field="predictions")
        rows = np.arange(len(logs))
        direct = (probabilities * predicted).sum(axis=1)
        residual = logs.rewards - predicted[rows, logs.actions]
        return _mean(direct + _weights(logs, probabilities, self.max_weight) * residual)


def _probabilities(logs: BanditLogs, target: ArrayLike) -> np.ndarray:
    probabilities = np.asarray(target, dtype=float)
    if probabilities.ndim != 2 or probabilities.shape[0] != len(logs):
        msg = f"target must have one row per log row and one column per action; got shape {probabilities.shape}"
        raise InvalidMeasureInput(msg, field="target")
    if int(logs.actions.max()) >= probabilities.shape[1]:
        msg = f"target has {probabilities.shape[1]} actions but the logs use action {int(logs.actions.max())}"
        raise InvalidMeasureInput(msg, field="target")
    if (probabilities < 0).any() or not np.allclose(probabilities.sum(axis=1), 1.0):
        msg = "each row of target must be a probability distribution over the actions"
        raise InvalidMeasureInput(msg, field="target")
    return probabilities


def _weights(logs: BanditLogs, probabilities: np.ndarray, cap: float) -> np.ndarray:
    chosen = probabilities[np.arange(len(logs)), logs.actions]
    return np.minimum(chosen / logs.propensities, cap)


def _mean(terms: np.ndarray) -> PolicyValue:
    n = int(terms.size)
    se = float(terms.std(ddof=1)) / math.sqrt(n) if n > 1 else math.inf
    return PolicyValue(float(terms.mean()), se, n)


def _require_cap(owner: str, cap: float) -> None:
    if not cap > 0:
        msg = f"{owner}.max_weight must be > 0; got {cap!r}"
        raise InvalidMeasureInput(msg, field="max_weight")
