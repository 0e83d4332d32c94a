"""Peers from the ``implicit`` library: ALS, BPR and item-kNN (cosine or BM25).

Each trains on the shopper x product matrix of summed behaviour weights. A shopper seen
in training whose history holds nothing newer is answered from the trained factors;
otherwise ALS recomputes the shopper's factors from the history (its exact fold-in) and
BPR, which has none, uses the mean factors of the history's items. Item-kNN multiplies
the history by the item similarities. Answers are padded with the most popular products.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Collection, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp

from shopstream.core import CustomerId, ProductId
from shopstream.recommend.errors import (
    FitFailed,
    InvalidRecommenderParams,
    MissingExtra,
    NotFitted,
)
from shopstream.recommend.evaluation.popular import MostPopular, pad
from shopstream.recommend.interactions import DEFAULT_WEIGHTS, Interaction
from shopstream.recommend.matrix import ItemIndex, interaction_matrix
from shopstream.recommend.params import require_at_least, require_positive
from shopstream.recommend.scored import Scored


class _ImplicitPeer:
    """What the three peers share: the vocabulary, the training matrix and the answers."""

    __slots__ = ()

    def _prepare(
        self, interactions: Iterable[Interaction]
    ) -> tuple[list[Interaction], ItemIndex, sp.csr_matrix, dict[CustomerId, int]]:
        seen = list(interactions)
        items = ItemIndex.of(sorted({i.product_id for i in seen}))
        matrix, rows = interaction_matrix(seen, items, DEFAULT_WEIGHTS)
        return seen, items, matrix, rows

    @staticmethod
    def _row(history: Sequence[Interaction], items: ItemIndex) -> sp.csr_matrix:
        matrix, _ = interaction_matrix(history, items, DEFAULT_WEIGHTS)
        if matrix.shape[0] == 0:
            return sp.csr_matrix((1, len(items)), dtype=np.float32)
        return matrix

    @staticmethod
    def _answer(
        rank: Callable[[int], tuple[Sequence[int], Sequence[float]]],
        items: ItemIndex,
        popular: MostPopular,
        k: int,
        exclude: Collection[ProductId],
        positive_only: bool,
        reason: str,
    ) -> list[Scored]:
        """The best ``k`` allowed items of ``rank(count)`` (the ``count`` best positions and
        scores), asking for four times more while excluded items leave too few."""
        count = k
        while True:
            ids, scores = rank(count)
            answer = []
            for position, score in zip(ids, scores, strict=True):
                if position < 0 or not np.isfinite(score) or (positive_only and score <= 0):
                    continue
                item = items.ids[position]
                if item not in exclude:
                    answer.append(Scored(item, float(score), reason))
            if len(answer) >= k or len(ids) < count or count >= len(items):
                return pad(answer[:k], popular.ranking, k, exclude)
            count *= 4

    @staticmethod
    def _top(scores: np.ndarray) -> Callable[[int], tuple[list[int], list[float]]]:
        def rank(count: int) -> tuple[list[int], list[float]]:
            count = min(count, len(scores))
            best = np.argpartition(-scores, count - 1)[:count]
            best = best[np.lexsort((best, -scores[best]))]
            return best.tolist(), scores[best].tolist()

        return rank


@dataclass(kw_only=True, slots=True, eq=False)
class _Factors:
    """A trained factor model's state: a shopper seen in training whose history holds
    nothing newer is answered from the trained factors."""

    model: object
    items: ItemIndex
    rows: dict[CustomerId, int]
    trained_until: float

    def trained_row(self, history: Sequence[Interaction]) -> int | None:
        if not history or history[-1].at > self.trained_until:
            return None
        return self.rows.get(history[-1].customer_id)


@dataclass(kw_only=True, slots=True, eq=False)
class ImplicitALS(_ImplicitPeer):
    """``implicit``'s alternating least squares with confidence ``1 + alpha * weight``."""

    factors: int = 64
    regularization: float = 0.01
    alpha: float = 1.0
    iterations: int = 15
    seed: int | None = 0
    popular: MostPopular = field(default_factory=MostPopular)
    _state: _Factors | None = field(init=False, repr=False, default=None)
    _gram: np.ndarray = field(init=False, repr=False, default_factory=lambda: np.zeros((0, 0)))

    def __post_init__(self) -> None:
        require_at_least("ImplicitALS", "factors", self.factors, 1)
        require_at_least("ImplicitALS", "iterations", self.iterations, 1)
        require_positive("ImplicitALS", "regularization", self.regularization)
        require_positive("ImplicitALS", "alpha", self.alpha)

    def fit(self, interactions: Iterable[Interaction]) -> None:
        als = _implicit().cpu.als
        seen, items, matrix, rows = self._prepare(interactions)
        self.popular.fit(seen)
        with _one_blas_thread():
            model = als.AlternatingLeastSquares(
                factors=self.factors,
                regularization=self.regularization,
                alpha=self.alpha,
                iterations=self.iterations,
                random_state=self.seed,
            )
            _fit_or_fail(model, matrix, self)
        until = max((i.at for i in seen), default=float("-inf"))
        factors = model.item_factors.astype(np.float64)
        self._gram = factors.T @ factors
        self._state = _Factors(model=model, items=items, rows=rows, trained_until=until)

    def recommend(
        self,
        history: Sequence[Interaction],
        k: int = 10,
        *,
        exclude: Collection[ProductId] = frozenset(),
    ) -> list[Scored]:
        """From the trained factors of a known shopper; else folds the history in."""
        state = _fitted(self._state, "ImplicitALS")
        model: Any = state.model
        row = state.trained_row(history)
        if row is not None:
            user = model.user_factors[row]
        else:
            vector = self._row(history, state.items)
            if vector.nnz == 0:
                return pad([], self.popular.ranking, k, exclude)
            user = self._fold_in(state, vector)
        scores = model.item_factors @ user.astype(np.float32)
        return self._answer(
            self._top(scores), state.items, self.popular, k, exclude, False, "similar shoppers"
        )

    def _fold_in(self, state: _Factors, vector: sp.csr_matrix) -> np.ndarray:
        """The least-squares factors of one shopper given the item factors, exactly as
        implicit's ``recalculate_user`` computes them, with the Gram matrix kept from fit."""
        model: Any = state.model
        y = model.item_factors[vector.indices].astype(np.float64)
        confidence = self.alpha * vector.data.astype(np.float64)
        a = self._gram + self.regularization * np.eye(self.factors) + (y.T * (confidence - 1)) @ y
        return np.linalg.solve(a, y.T @ confidence)


@dataclass(kw_only=True, slots=True, eq=False)
class ImplicitBPR(_ImplicitPeer):
    """``implicit``'s Bayesian personalised ranking (SGD on sampled pairs)."""

    factors: int = 64
    learning_rate: float = 0.05
    regularization: float = 0.01
    iterations: int = 100
    seed: int | None = 0
    popular: MostPopular = field(default_factory=MostPopular)
    _state: _Factors | None = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        require_at_least("ImplicitBPR", "factors", self.factors, 1)
        require_at_least("ImplicitBPR", "iterations", self.iterations, 1)
        require_positive("ImplicitBPR", "learning_rate", self.learning_rate)
        require_positive("ImplicitBPR", "regularization", self.regularization)

    def fit(self, interactions: Iterable[Interaction]) -> None:
        bpr = _implicit().cpu.bpr
        seen, items, matrix, rows = self._prepare(interactions)
        self.popular.fit(seen)
        with _one_blas_thread():
            model = bpr.BayesianPersonalizedRanking(
                factors=self.factors,
                learning_rate=self.learning_rate,
                regularization=self.regularization,
                iterations=self.iterations,
                random_state=self.seed,
            )
            _fit_or_fail(model, matrix, self)
        until = max((i.at for i in seen), default=float("-inf"))
        self._state = _Factors(model=model, items=items, rows=rows, trained_until=until)

    def recommend(
        self,
        history: Sequence[Interaction],
        k: int = 10,
        *,
        exclude: Collection[ProductId] = frozenset(),
    ) -> list[Scored]:
        """From the trained factors of a known shopper with nothing newer in the history;
        else from the mean factors of the history's items (BPR has no exact fold-in)."""
        state = _fitted(self._state, "ImplicitBPR")
        model: Any = state.model
        item_factors: np.ndarray = model.item_factors
        row = state.trained_row(history)
        if row is not None:
            user = model.user_factors[row]
        else:
            positions = state.items.positions
            known = [positions[i.product_id] for i in history if i.product_id in positions]
            if not known:
                return pad([], self.popular.ranking, k, exclude)
            user = item_factors[known].mean(axis=0)
            user[-1] = 1.0  # the last factor multiplies the item bias
        scores = item_factors @ user.astype(np.float32)
        return self._answer(
            self._top(scores), state.items, self.popular, k, exclude, False, "similar shoppers"
        )


@dataclass(kw_only=True, slots=True, eq=False)
class ImplicitItemKNN(_ImplicitPeer):
    """``implicit``'s item-item nearest neighbours, cosine or BM25-weighted, ``neighbours``
    kept per item."""

    similarity: Literal["cosine", "bm25"] = "cosine"
    neighbours: int = 50
    k1: float = 1.2
    b: float = 0.75
    popular: MostPopular = field(default_factory=MostPopular)
    _state: _Factors | None = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        if self.similarity not in ("cosine", "bm25"):
            msg = f"ImplicitItemKNN.similarity must be 'cosine' or 'bm25'; got {self.similarity!r}"
            raise InvalidRecommenderParams(msg, field="similarity")
        require_at_least("ImplicitItemKNN", "neighbours", self.neighbours, 1)

    def fit(self, interactions: Iterable[Interaction]) -> None:
        knn = _implicit().nearest_neighbours
        seen, items, matrix, rows = self._prepare(interactions)
        self.popular.fit(seen)
        if self.similarity == "bm25":
            model: Any = knn.BM25Recommender(K=self.neighbours, K1=self.k1, B=self.b)
        else:
            model = knn.CosineRecommender(K=self.neighbours)
        with warnings.catch_warnings():  # its BM25/TF-IDF weighting hands itself a COO matrix
            warnings.filterwarnings("ignore", message="Method expects CSR input")
            model.fit(matrix, show_progress=False)
        self._state = _Factors(model=model, items=items, rows=rows, trained_until=float("inf"))

    def recommend(
        self,
        history: Sequence[Interaction],
        k: int = 10,
        *,
        exclude: Collection[ProductId] = frozenset(),
    ) -> list[Scored]:
        state = _fitted(self._state, "ImplicitItemKNN")
        model: Any = state.model
        row = self._row(history, state.items)
        if row.nnz == 0:
            return pad([], self.popular.ranking, k, exclude)

        def rank(count: int) -> tuple[list[int], list[float]]:
            ids, scores = model.recommend(0, row, N=count, filter_already_liked_items=False)
            return ids.tolist(), scores.tolist()

        return self._answer(rank, state.items, self.popular, k, exclude, True, "similar items")


def _fit_or_fail(model: Any, matrix: sp.csr_matrix, owner: object) -> None:
    """Train an implicit factor model; a diverged one (NaN factors) raises FitFailed."""
    from implicit.recommender_base import ModelFitError

    try:
        model.fit(matrix, show_progress=False)
    except ModelFitError as exc:
        msg = f"{owner!r} diverged: {exc}"
        raise FitFailed(msg) from None


def _fitted(state: _Factors | None, owner: str) -> _Factors:
    if state is None:
        msg = f"{owner}.recommend called before fit"
        raise NotFitted(msg)
    return state


def _implicit() -> ModuleType:
    """The ``implicit`` package, or an error naming the extra that installs it."""
    try:
        import implicit.cpu.als
        import implicit.cpu.bpr
        import implicit.nearest_neighbours
    except ImportError as exc:
        msg = f"the implicit peers need the implicit package: pip install 'shopstream[ml]' ({exc})"
        raise MissingExtra(msg) from exc
    return implicit


def _one_blas_thread() -> AbstractContextManager[object]:
    """implicit trains with its own threads and warns when BLAS would add more."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1, "blas")
