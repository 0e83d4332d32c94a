"""Offline evaluation of recommenders under EVALUATION.md's protocols R and T.

Loaders read the shared datasets as interaction tables with the protocol's cleaning; tasks
build the splits and stream the requests; every method, ours and the peers, is scored by
the same metric code after tuning on the validation split. Needs numpy and scipy, and
``implicit`` for its peers (``pip install 'shopstream[ml]'``).
"""

from __future__ import annotations

from shopstream.recommend.evaluation.datasets import Dataset, load_online_retail, load_taobao
from shopstream.recommend.evaluation.metrics import (
    RankingMetrics,
    hit_rate,
    ndcg,
    recall,
    reciprocal_rank,
)
from shopstream.recommend.evaluation.report import MethodResult, Report
from shopstream.recommend.evaluation.runner import evaluate
from shopstream.recommend.evaluation.tasks import (
    NextBasketTask,
    NextItemTask,
    Request,
    next_basket_task,
    next_item_task,
)

__all__ = (
    "Dataset",
    "MethodResult",
    "NextBasketTask",
    "NextItemTask",
    "RankingMetrics",
    "Report",
    "Request",
    "evaluate",
    "hit_rate",
    "load_online_retail",
    "load_taobao",
    "ndcg",
    "next_basket_task",
    "next_item_task",
    "recall",
    "reciprocal_rank",
)
