"""EASE: a closed-form linear item-to-item model for implicit feedback (Steck, WWW 2019).

``B = I - P / diag(P)`` with ``P = (X^T X + l2 I)^-1`` and a zero diagonal; a shopper's
scores are their history vector times ``B``, so a new event folds in at request time with
no retraining. Memory and time grow with the square and cube of the vocabulary, so the
vocabulary is the ``max_items`` most popular products with at least ``min_count``
interactions (10,000 products take 800 MB and about a minute on two cores).

Needs numpy and scipy (``pip install 'shopstream[ml]'``).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from shopstream.core import ProductId
from shopstream.recommend.errors import FitFailed, MissingExtra, NotFitted
from shopstream.recommend.history import weigh_history
from shopstream.recommend.interactions import DEFAULT_WEIGHTS, BehaviourWeights, Interaction
from shopstream.recommend.matrix import ItemIndex, history_vector, interaction_matrix
from shopstream.recommend.params import require_at_least, require_positive
from shopstream.recommend.scored import Scored

try:
    import numpy as np
except ImportError as exc:  # pragma: no cover - the ml extra is installed in CI
    msg = f"EASE needs numpy: pip install 'shopstream[ml]' ({exc})"
    raise MissingExtra(msg) from exc

logger = logging.getLogger(__name__)


@dataclass(kw_only=True, slots=True, eq=False)
class EASE:
    """Collaborative filtering in closed form, with the request's history folded in.

    Training sees each (shopper, product) pair once; a request weighs its history by
    behaviour and recency (``history_half_life``).

    Examples:
        >>> from shopstream.core import CustomerId
        >>> from shopstream.recommend.interactions import Behaviour
        >>> baskets = {"a": "xy", "b": "xy", "c": "xz"}
        >>> model = EASE(l2=0.5)
        >>> model.fit(Interaction(CustomerId(c), ProductId(p), Behaviour.ORDER, 0.0)
        ...           for c, items in baskets.items() for p in items)
        >>> [s.product_id for s in model.recommend(
        ...     [Interaction(CustomerId("d"), ProductId("y"), Behaviour.ORDER, 0.0)], k=1)]
        ['x']
    """

    l2: float = 500.0
    max_items: int = 10_000
    min_count: int = 1
    weights: BehaviourWeights = DEFAULT_WEIGHTS
    history_half_life: float = 30 * 86_400.0
    _items: ItemIndex | None = field(default=None, init=False, repr=False)
    _b: np.ndarray | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        require_positive("EASE", "l2", self.l2)
        require_positive("EASE", "history_half_life", self.history_half_life)
        require_at_least("EASE", "max_items", self.max_items, 1)
        require_at_least("EASE", "min_count", self.min_count, 1)

    def fit(self, interactions: Iterable[Interaction]) -> None:
        seen = list(interactions)
        items = ItemIndex.most_popular(seen, self.max_items, self.min_count)
        x, _ = interaction_matrix(seen, items)
        gram = (x.T @ x).toarray().astype(np.float64)
        gram[np.diag_indices_from(gram)] += self.l2
        p = _spd_inverse(gram)
        b = p / -np.diag(p)
        b[np.diag_indices_from(b)] = 0.0
        logger.info("EASE fitted on %d shoppers x %d products", x.shape[0], len(items))
        self._items, self._b = items, b

    def recommend(
        self,
        history: Sequence[Interaction],
        k: int = 10,
        *,
        exclude: Collection[ProductId] = frozenset(),
    ) -> list[Scored]:
        """Positive-scored products only: an empty history gives an empty answer."""
        require_at_least("EASE", "k", k, 1)
        if self._items is None or self._b is None:
            msg = "EASE.recommend called before fit"
            raise NotFitted(msg)
        weighed = weigh_history(history, self.weights, self.history_half_life)
        pairs = [(ProductId(p), w.weight) for p, w in weighed.items()]
        positions, values = history_vector(pairs, self._items)
        if not len(positions):
            return []
        # The history vector times B reads only the history's rows of B.
        scores = np.zeros(len(self._items))
        for position, value in zip(positions.tolist(), values.tolist(), strict=True):
            scores += value * self._b[position]
        for item in exclude:
            position = self._items.positions.get(item)
            if position is not None:
                scores[position] = -np.inf
        count = min(k, len(scores))
        best = np.argpartition(-scores, count - 1)[:count]
        best = best[np.lexsort((best, -scores[best]))]
        return [
            Scored(self._items.ids[i], float(scores[i]), "popular with shoppers like you")
            for i in best
            if scores[i] > 0
        ]


def _spd_inverse(matrix: np.ndarray) -> np.ndarray:
    """The inverse of a symmetric positive definite matrix.

    numpy's ``inv`` releases the interpreter's lock while it works; scipy's LAPACK wrappers
    (a Cholesky would take half the time) hold it, and a live retrain in a worker thread
    then stalls the server's event loop for the whole factorisation (300 ms at 3,000 items).
    """
    try:
        _ = np.linalg.cholesky(matrix)  # positive definite, or say so (releases the lock too)
    except np.linalg.LinAlgError:
        msg = "EASE: the regularised Gram matrix is not positive definite"
        raise FitFailed(msg) from None
    inverse: np.ndarray = np.linalg.inv(matrix)
    return (inverse + inverse.T) / 2
