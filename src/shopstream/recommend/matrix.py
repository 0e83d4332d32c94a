"""Interactions as a sparse shopper x product matrix, for the batch-trained recommenders.

Needs numpy and scipy (``pip install 'shopstream[ml]'``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from shopstream.core import CustomerId, ProductId
from shopstream.recommend.errors import MissingExtra
from shopstream.recommend.interactions import BehaviourWeights, Interaction

try:
    import numpy as np
    import scipy.sparse as sp
except ImportError as exc:  # pragma: no cover - the ml extra is installed in CI
    msg = f"shopstream.recommend needs numpy and scipy here: pip install 'shopstream[ml]' ({exc})"
    raise MissingExtra(msg) from exc


@dataclass(frozen=True, slots=True)
class ItemIndex:
    """A vocabulary of products: row or column ``i`` of a matrix is ``ids[i]``."""

    ids: tuple[ProductId, ...]
    positions: dict[ProductId, int]

    @classmethod
    def of(cls, ids: Iterable[ProductId]) -> ItemIndex:
        kept = tuple(dict.fromkeys(ids))
        return cls(kept, {item: i for i, item in enumerate(kept)})

    @classmethod
    def most_popular(
        cls, interactions: Iterable[Interaction], limit: int | None = None, min_count: int = 1
    ) -> ItemIndex:
        """The ``limit`` most interacted-with products having at least ``min_count``
        interactions, most popular first (ties by product id)."""
        counts = Counter(i.product_id for i in interactions)
        ranked = sorted(
            (p for p, n in counts.items() if n >= min_count), key=lambda p: (-counts[p], p)
        )
        return cls.of(ranked[:limit])

    def __len__(self) -> int:
        return len(self.ids)


def interaction_matrix(
    interactions: Iterable[Interaction],
    items: ItemIndex,
    weights: BehaviourWeights | None = None,
) -> tuple[sp.csr_matrix, dict[CustomerId, int]]:
    """Shoppers x ``items``: summed behaviour weights, or 1 per pair when ``weights`` is None.

    Interactions with products outside ``items`` are left out. Returns the matrix (float32)
    and the row of each shopper.
    """
    rows: dict[CustomerId, int] = {}
    cells: dict[tuple[int, int], float] = {}
    for interaction in interactions:
        column = items.positions.get(interaction.product_id)
        if column is None:
            continue
        row = rows.setdefault(interaction.customer_id, len(rows))
        if weights is None:
            cells[row, column] = 1.0
        else:
            value = weights.of(interaction.behaviour)
            cells[row, column] = cells.get((row, column), 0.0) + value
    matrix = _csr(cells, (len(rows), len(items)))
    return matrix, rows


def history_vector(
    history: Sequence[tuple[ProductId, float]], items: ItemIndex
) -> tuple[np.ndarray, np.ndarray]:
    """Positions and weights of the ``(product, weight)`` pairs that ``items`` knows."""
    found = [(items.positions[p], w) for p, w in history if p in items.positions]
    positions = np.fromiter((i for i, _ in found), dtype=np.int64, count=len(found))
    values = np.fromiter((w for _, w in found), dtype=np.float64, count=len(found))
    return positions, values


def _csr(cells: dict[tuple[int, int], float], shape: tuple[int, int]) -> sp.csr_matrix:
    if not cells:
        return sp.csr_matrix(shape, dtype=np.float32)
    keys = np.array(list(cells), dtype=np.int64)
    values = np.fromiter(cells.values(), dtype=np.float32, count=len(cells))
    return sp.csr_matrix((values, (keys[:, 0], keys[:, 1])), shape=shape, dtype=np.float32)
