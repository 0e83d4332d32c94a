"""Recommendations: candidate generators that learn from every event, and their blend.

Generators answer ``recommend(history, k, exclude=...)`` with :class:`Scored` products,
each with its reason; those that learn offer ``fit`` and, when they keep up with the
stream, ``partial_fit``. Pure Python: :class:`CoVisitation` (co-visits in sessions,
weighted by behaviour, decayed), :class:`Trending` and :class:`CategoryTrending`,
:class:`OwnHistory` (buy again, go back to); with numpy and scipy
(``pip install 'shopstream[ml]'``): ``EASE`` (collaborative filtering, closed form),
imported from :mod:`shopstream.recommend.ease`. :class:`Blend` weighs them into one answer.
Offline evaluation lives in :mod:`shopstream.recommend.evaluation`.
"""

from __future__ import annotations

from shopstream.recommend.blend import Blend, fuse
from shopstream.recommend.covisitation import CoVisitation
from shopstream.recommend.errors import (
    FitFailed,
    InvalidDataset,
    InvalidRecommenderParams,
    MissingExtra,
    NotFitted,
    RecommendError,
)
from shopstream.recommend.generator import BatchLearner, CandidateGenerator, OnlineLearner
from shopstream.recommend.history import OwnHistory, weigh_history
from shopstream.recommend.interactions import (
    BEHAVIOURS,
    DEFAULT_WEIGHTS,
    Behaviour,
    BehaviourWeights,
    Interaction,
    interactions_from_event,
)
from shopstream.recommend.live import LiveRecommender
from shopstream.recommend.rules import BoostRule, Placement, RecommendRules
from shopstream.recommend.scored import Scored
from shopstream.recommend.service import Item, RecommendRequest, recommend
from shopstream.recommend.trending import CategoryTrending, Trending

__all__ = (
    "BEHAVIOURS",
    "DEFAULT_WEIGHTS",
    "BatchLearner",
    "Behaviour",
    "BehaviourWeights",
    "Blend",
    "BoostRule",
    "CandidateGenerator",
    "CategoryTrending",
    "CoVisitation",
    "FitFailed",
    "Interaction",
    "InvalidDataset",
    "InvalidRecommenderParams",
    "Item",
    "LiveRecommender",
    "MissingExtra",
    "NotFitted",
    "OnlineLearner",
    "OwnHistory",
    "Placement",
    "RecommendError",
    "RecommendRequest",
    "RecommendRules",
    "Scored",
    "Trending",
    "fuse",
    "interactions_from_event",
    "recommend",
    "weigh_history",
)
