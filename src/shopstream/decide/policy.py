"""The :class:`Policy` protocol every bandit and rule implements.

A context is a dense float vector (``numpy.ndarray`` of shape ``(dim,)``), built from named
profile and request features by :class:`~shopstream.decide.features.FeatureSpec`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol, TypeAlias

from shopstream.decide.ranking import ArmId, Ranking

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Context: TypeAlias = npt.NDArray[np.float64]

JSONValue: TypeAlias = "str | int | float | bool | list[JSONValue] | Mapping[str, JSONValue] | None"
Snapshot: TypeAlias = "dict[str, JSONValue]"


class Policy(Protocol):
    """Ranks eligible arms for a context, and learns from rewards.

    ``choose`` ranks every arm in ``arms`` (or the best ``k``), each with the propensity of
    being chosen first under the policy's own randomisation; ``update`` folds in the reward
    the chosen arm earned. ``to_snapshot`` gives the whole state (hyper-parameters, learnt
    statistics, RNG) as JSON-able values, and each policy's ``from_snapshot`` restores it.
    """

    def choose(
        self, context: Context, arms: Sequence[ArmId], *, k: int | None = None
    ) -> Ranking: ...

    def update(self, context: Context, arm: ArmId, reward: float) -> None: ...

    def to_snapshot(self) -> Snapshot: ...
