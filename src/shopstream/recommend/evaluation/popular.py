"""Peers that need no learning beyond counting: most popular, repeat-buy and recent items,
each padded with the most popular products."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from shopstream.core import ProductId
from shopstream.recommend.errors import InvalidRecommenderParams
from shopstream.recommend.interactions import Interaction
from shopstream.recommend.params import require_positive
from shopstream.recommend.scored import Scored


def pad(
    answer: list[Scored], ranking: Sequence[ProductId], k: int, exclude: Collection[ProductId]
) -> list[Scored]:
    """``answer`` followed by the best of ``ranking`` not yet in it, up to ``k`` items."""
    taken = {s.product_id for s in answer}
    padded = list(answer[:k])
    floor = min((s.score for s in padded), default=1.0)
    for item in ranking:
        if len(padded) >= k:
            break
        if item in taken or item in exclude:
            continue
        floor /= 2.0
        padded.append(Scored(item, floor, "popular"))
    return padded


@dataclass(kw_only=True, slots=True, eq=False)
class MostPopular:
    """Products by the number of interactions (or distinct shoppers), optionally only over
    the last ``window_days`` of training."""

    count: Literal["interactions", "shoppers"] = "interactions"
    window_days: float | None = None
    ranking: list[ProductId] = field(init=False, repr=False, default_factory=list)

    def __post_init__(self) -> None:
        if self.count not in ("interactions", "shoppers"):
            msg = f"MostPopular.count must be 'interactions' or 'shoppers'; got {self.count!r}"
            raise InvalidRecommenderParams(msg, field="count")
        if self.window_days is not None:
            require_positive("MostPopular", "window_days", self.window_days)

    def fit(self, interactions: Iterable[Interaction]) -> None:
        seen = list(interactions)
        end = max((i.at for i in seen), default=0.0)
        start = end - self.window_days * 86_400.0 if self.window_days else float("-inf")
        recent = [i for i in seen if i.at >= start]
        if self.count == "shoppers":
            counts = Counter(p for p, _ in {(i.product_id, i.customer_id) for i in recent})
        else:
            counts = Counter(i.product_id for i in recent)
        ranked = sorted(counts, key=lambda p: (-counts[p], p))
        rest = sorted({i.product_id for i in seen} - counts.keys())
        self.ranking = ranked + rest

    def recommend(
        self,
        history: Sequence[Interaction],
        k: int = 10,
        *,
        exclude: Collection[ProductId] = frozenset(),
    ) -> list[Scored]:
        return pad([], self.ranking, k, exclude)


@dataclass(kw_only=True, slots=True, eq=False)
class RepeatBuy:
    """The customer's own purchases, by the number of baskets holding them (``frequency``)
    or by the last time bought (``recency``), padded with the most popular products."""

    order_by: Literal["frequency", "recency"] = "frequency"
    popular: MostPopular = field(default_factory=MostPopular)

    def __post_init__(self) -> None:
        if self.order_by not in ("frequency", "recency"):
            msg = f"RepeatBuy.order_by must be 'frequency' or 'recency'; got {self.order_by!r}"
            raise InvalidRecommenderParams(msg, field="order_by")

    def fit(self, interactions: Iterable[Interaction]) -> None:
        self.popular.fit(interactions)

    def recommend(
        self,
        history: Sequence[Interaction],
        k: int = 10,
        *,
        exclude: Collection[ProductId] = frozenset(),
    ) -> list[Scored]:
        baskets: dict[ProductId, set[str]] = {}
        last: dict[ProductId, float] = {}
        for i in history:
            baskets.setdefault(i.product_id, set()).add(i.order_id or str(i.at))
            last[i.product_id] = max(last.get(i.product_id, i.at), i.at)
        if self.order_by == "frequency":
            order = sorted(last, key=lambda p: (-len(baskets[p]), -last[p], p))
        else:
            order = sorted(last, key=lambda p: (-last[p], -len(baskets[p]), p))
        kept = [p for p in order if p not in exclude][:k]
        answer = [Scored(p, float(len(kept) - r), "bought before") for r, p in enumerate(kept)]
        return pad(answer, self.popular.ranking, k, exclude)


@dataclass(kw_only=True, slots=True, eq=False)
class RecentItems:
    """The shopper's own distinct items, most recent first, padded with the most popular."""

    popular: MostPopular = field(default_factory=MostPopular)

    def fit(self, interactions: Iterable[Interaction]) -> None:
        self.popular.fit(interactions)

    def recommend(
        self,
        history: Sequence[Interaction],
        k: int = 10,
        *,
        exclude: Collection[ProductId] = frozenset(),
    ) -> list[Scored]:
        order = [p for p in dict.fromkeys(i.product_id for i in reversed(history))]
        kept = [p for p in order if p not in exclude][:k]
        answer = [Scored(p, float(len(kept) - r), "viewed recently") for r, p in enumerate(kept)]
        return pad(answer, self.popular.ranking, k, exclude)
