"""Collaborative filtering on the live stream: EASE retrained in the background, folded in
at request time.

The evaluation picked EASE as the blend's collaborative part (it is in the tuned blend on
both datasets; see ``benchmarks/results/evaluate-*.md``). :class:`LiveEASE` keeps the most
recent ``window`` interactions as they are applied; :meth:`LiveEASE.refit` trains a new EASE
on them (seconds for a few thousand products, in a worker thread: the LAPACK work releases
the GIL) and swaps it in whole, so a request sees either the old model or the new one. A
request folds the shopper's latest interactions in with no retraining: EASE scores are the
history vector times the item-item matrix, so a view made a moment ago counts at once.

The trained matrix is not saved with the state (it is derived, and large): after a restart
the model is retrained from the saved window. Needs the ``ml`` extra; without it the
generator answers nothing and says so once in the log.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from shopstream.core import ProductId
from shopstream.recommend.errors import MissingExtra
from shopstream.recommend.interactions import Interaction
from shopstream.recommend.params import require_at_least, require_positive
from shopstream.recommend.scored import Scored

logger = logging.getLogger(__name__)


@dataclass(kw_only=True, slots=True, eq=False)
class LiveEASE:
    """EASE on the latest ``window`` interactions, refitted when asked.

    Examples:
        >>> from shopstream.core import CustomerId
        >>> from shopstream.recommend.interactions import Behaviour
        >>> model = LiveEASE(l2=0.5, min_interactions=1)
        >>> for who, items in {"a": "xy", "b": "xy", "c": "xz"}.items():
        ...     for item in items:
        ...         model.partial_fit(Interaction(CustomerId(who), ProductId(item),
        ...                                       Behaviour.ORDER, 0.0))
        >>> model.refit()
        True
        >>> [s.product_id for s in model.recommend(
        ...     [Interaction(CustomerId("d"), ProductId("y"), Behaviour.VIEW, 9.0)], k=1)]
        ['x']
    """

    l2: float = 500.0
    max_items: int = 3_000
    history_half_life: float = 86_400.0
    window: int = 200_000
    min_interactions: int = 1_000
    _seen: deque[Interaction] = field(init=False, repr=False)
    _model: Any = field(default=None, init=False, repr=False)
    _since_fit: int = field(default=0, init=False, repr=False)
    _unavailable: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        require_positive("LiveEASE", "l2", self.l2)
        require_positive("LiveEASE", "history_half_life", self.history_half_life)
        for name in ("max_items", "window", "min_interactions"):
            require_at_least("LiveEASE", name, getattr(self, name), 1)
        self._seen = deque(maxlen=self.window)

    @property
    def fitted(self) -> bool:
        return self._model is not None

    @property
    def since_fit(self) -> int:
        """Interactions applied since the model in use was trained."""
        return self._since_fit

    def partial_fit(self, interaction: Interaction) -> None:
        self._seen.append(interaction)
        self._since_fit += 1

    def extend(self, interactions: Iterable[Interaction]) -> None:
        for interaction in interactions:
            self.partial_fit(interaction)

    def snapshot(self) -> list[Interaction]:
        """The window as it is now (taken on the event loop, trained on elsewhere)."""
        return list(self._seen)

    def refit(self, interactions: Sequence[Interaction] | None = None) -> bool:
        """Train on ``interactions`` (the window when ``None``) and swap the model in;
        False when there are too few, or numpy and scipy are missing."""
        seen = self.snapshot() if interactions is None else interactions
        if len(seen) < self.min_interactions or self._unavailable:
            return False
        try:
            from shopstream.recommend.ease import EASE
        except MissingExtra as exc:
            self._unavailable = True
            logger.warning("live collaborative filtering off: %s", exc.message)
            return False
        model = EASE(l2=self.l2, max_items=self.max_items, history_half_life=self.history_half_life)
        model.fit(seen)
        self._model = model
        self._since_fit = 0
        return True

    def recommend(
        self,
        history: Sequence[Interaction],
        k: int = 10,
        *,
        exclude: Collection[ProductId] = frozenset(),
    ) -> list[Scored]:
        require_at_least("LiveEASE", "k", k, 1)
        model = self._model
        if model is None:
            return []
        found: list[Scored] = model.recommend(history, k, exclude=exclude)
        return found

    def __getstate__(self) -> dict[str, Any]:
        return {
            "l2": self.l2,
            "max_items": self.max_items,
            "history_half_life": self.history_half_life,
            "window": self.window,
            "min_interactions": self.min_interactions,
            "seen": list(self._seen),
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name in ("l2", "max_items", "history_half_life", "window", "min_interactions"):
            object.__setattr__(self, name, state[name])
        self._seen = deque(state["seen"], maxlen=self.window)
        self._model = None
        self._since_fit = len(self._seen)
        self._unavailable = False
