"""Per-arm ridge regressions, kept as inverses updated by Sherman-Morrison.

Arm ``a`` keeps ``A_a = l2 I + sum x x^T`` through its inverse and ``b_a = sum r x``; its
estimate is ``theta_a = A_a^-1 b_a``. Folding in one observation costs ``O(d^2)``
(Sherman-Morrison) instead of the ``O(d^3)`` of a fresh inverse. The arms' matrices are
stacked, so scoring every arm for a context is two vectorised products.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from shopstream.decide._numpy import Vector, np
from shopstream.decide.errors import InvalidSnapshot
from shopstream.decide.policies._inputs import require
from shopstream.decide.policy import JSONValue, Snapshot
from shopstream.decide.ranking import ArmId


@dataclass(kw_only=True, slots=True, eq=False)
class RidgeArms:
    """One ridge regression per arm, over ``dim`` features, with ridge penalty ``l2``.

    Examples:
        >>> ridge = RidgeArms(dim=2, l2=1.0)
        >>> ridge.update(ArmId("a"), np.array([1.0, 0.0]), 1.0)
        >>> means, widths = ridge.estimate([ArmId("a"), ArmId("b")], np.array([1.0, 0.0]))
        >>> means.tolist(), widths.round(3).tolist()
        ([0.5, 0.0], [0.707, 1.0])
    """

    dim: int
    l2: float = 1.0
    _index: dict[ArmId, int] = field(default_factory=dict, init=False, repr=False)
    _a_inv: Vector = field(init=False, repr=False)  # one row per arm, then the prior's
    _b: Vector = field(init=False, repr=False)

    def __post_init__(self) -> None:
        require("RidgeArms", "dim", self.dim, self.dim >= 1, "an integer >= 1")
        require("RidgeArms", "l2", self.l2, self.l2 > 0, "> 0")
        self._a_inv = self._prior_a_inv()
        self._b = np.zeros((1, self.dim))

    def estimate(self, arms: Sequence[ArmId], x: Vector) -> tuple[Vector, Vector]:
        """Each arm's ``theta . x`` and ``sqrt(x^T A^-1 x)`` (unseen arms: 0 and the prior's)."""
        prior = len(self._index)  # the last row holds the prior, for arms never updated
        index = self._index
        rows = [index.get(arm, prior) for arm in arms]
        # Every row at once, then the ones asked for: the arms a shop has are few, and
        # one product over the whole stack is cheaper than copying the rows out first.
        a_inv_x = self._a_inv @ x
        means = np.einsum("nd,nd->n", a_inv_x, self._b)[rows]
        widths = np.sqrt(np.maximum(a_inv_x @ x, 0.0))[rows]
        return means, widths

    def update(self, arm: ArmId, x: Vector, reward: float) -> None:
        """Fold ``(x, reward)`` into ``arm``'s regression (Sherman-Morrison on ``A^-1``)."""
        row = self._row(arm)
        a_inv = self._a_inv[row]
        a_inv_x = a_inv @ x
        a_inv -= np.outer(a_inv_x, a_inv_x) / (1.0 + x @ a_inv_x)
        self._b[row] += reward * x

    def inverse(self, arm: ArmId) -> Vector:
        """A copy of ``arm``'s ``A^-1`` (``I / l2`` for an arm never updated)."""
        return self._a_inv[self._index.get(arm, len(self._index))].copy()

    def to_snapshot(self) -> Snapshot:
        return {
            arm: {"a_inv": self._a_inv[row].tolist(), "b": self._b[row].tolist()}
            for arm, row in self._index.items()
        }

    def restore(self, state: JSONValue) -> None:
        """Replace every arm's statistics by those of :meth:`to_snapshot`'s ``state``."""
        if not isinstance(state, dict):
            msg = (
                f"snapshot.arms must be an object of arm -> statistics; got {type(state).__name__}"
            )
            raise InvalidSnapshot(msg, field="arms")
        a_inv = np.concatenate([np.empty((len(state), self.dim, self.dim)), self._prior_a_inv()])
        b = np.zeros((len(state) + 1, self.dim))
        try:
            for row, stats in enumerate(state.values()):
                a_inv[row] = np.asarray(stats["a_inv"], dtype=np.float64)
                b[row] = np.asarray(stats["b"], dtype=np.float64)
        except (TypeError, ValueError, KeyError) as exc:
            msg = f"snapshot.arms must hold a_inv ({self.dim}x{self.dim}) and b ({self.dim}) per arm: {exc}"
            raise InvalidSnapshot(msg, field="arms") from exc
        self._index = {ArmId(arm): row for row, arm in enumerate(state)}
        self._a_inv, self._b = a_inv, b

    def _row(self, arm: ArmId) -> int:
        row = self._index.get(arm)
        if row is None:  # the arm takes over the prior row, and a fresh prior goes last
            row = self._index[arm] = len(self._index)
            self._a_inv = np.concatenate([self._a_inv, self._prior_a_inv()])
            self._b = np.concatenate([self._b, np.zeros((1, self.dim))])
        return row

    def _prior_a_inv(self) -> Vector:
        return np.eye(self.dim)[None] / self.l2
