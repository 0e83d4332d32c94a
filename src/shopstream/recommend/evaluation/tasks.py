"""The splits and requests of protocols R (next basket) and T (next item), EVALUATION.md.

A task holds the training interactions, the candidates and what to predict; iterating its
requests gives, for each prediction, the shopper's history, the target and what must not
be recommended. Protocol T streams: after each test event is predicted, the learner given
to :meth:`NextItemTask.requests` learns it, as the engine would.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from shopstream.core import CustomerId, ProductId
from shopstream.recommend.generator import OnlineLearner
from shopstream.recommend.interactions import Interaction

RETAIL_CUTOFF = datetime(2011, 11, 1, tzinfo=UTC)
RETAIL_VALIDATION_CUTOFF = datetime(2011, 10, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Request:
    """One prediction: ``history`` (oldest first) -> ``target``; never recommend ``exclude``."""

    history: Sequence[Interaction]
    target: frozenset[ProductId]
    exclude: Collection[ProductId] = frozenset()


@dataclass(frozen=True, slots=True)
class NextBasketTask:
    """Protocol R: each target customer's first basket at or after the cut-off."""

    name: str
    train: tuple[Interaction, ...]
    candidates: frozenset[ProductId]
    baskets: tuple[Request, ...]

    def requests(self, learner: OnlineLearner | None = None) -> Iterator[Request]:
        """The baskets to predict; protocol R reveals nothing, so ``learner`` learns nothing."""
        yield from self.baskets

    @property
    def counts(self) -> dict[str, int]:
        return {
            "train_interactions": len(self.train),
            "candidates": len(self.candidates),
            "target_customers": len(self.baskets),
            "target_items": sum(len(r.target) for r in self.baskets),
        }


def next_basket_task(
    name: str, interactions: Sequence[Interaction], cutoff: datetime, end: datetime | None = None
) -> NextBasketTask:
    """Train on what happened before ``cutoff``; predict first baskets in ``[cutoff, end)``.

    A target customer has at least one train invoice and one at or after the cut-off; the
    target is the distinct products of that first invoice (by time, ties by invoice number).
    """
    start, stop = cutoff.timestamp(), end.timestamp() if end else float("inf")
    train = tuple(sorted((i for i in interactions if i.at < start), key=lambda i: i.at))
    histories: dict[CustomerId, list[Interaction]] = defaultdict(list)
    for interaction in train:
        histories[interaction.customer_id].append(interaction)
    first: dict[CustomerId, tuple[float, str]] = {}
    for i in interactions:
        if start <= i.at < stop and i.customer_id in histories:
            key = (i.at, i.order_id or "")
            if i.customer_id not in first or key < first[i.customer_id]:
                first[i.customer_id] = key
    targets: dict[CustomerId, set[ProductId]] = defaultdict(set)
    for i in interactions:
        if first.get(i.customer_id) == (i.at, i.order_id or ""):
            targets[i.customer_id].add(i.product_id)
    baskets = tuple(
        Request(tuple(histories[customer]), frozenset(targets[customer]))
        for customer in sorted(targets, key=int)
    )
    candidates = frozenset(i.product_id for i in train)
    return NextBasketTask(name, train, candidates, baskets)


@dataclass(frozen=True, slots=True)
class NextItemTask:
    """Protocol T: predict each test event's item from the shopper's events before it."""

    name: str
    train: tuple[Interaction, ...]
    test: tuple[Interaction, ...]
    candidates: frozenset[ProductId]
    cutoff: float

    def requests(self, learner: OnlineLearner | None = None) -> Iterator[Request]:
        """Each predictable test event in time order; then ``learner`` learns the event.

        An event is predicted when its shopper has an earlier event (train or earlier
        test) and its item is a candidate. Items first seen in the test part are excluded
        from answers (they are not candidates) as soon as they are revealed.
        """
        histories: dict[CustomerId, list[Interaction]] = defaultdict(list)
        for interaction in self.train:
            histories[interaction.customer_id].append(interaction)
        revealed: set[ProductId] = set()
        for event in self.test:
            history = histories[event.customer_id]
            if history and event.product_id in self.candidates:
                yield Request(tuple(history), frozenset({event.product_id}), revealed)
            if learner is not None:
                learner.partial_fit(event)
            history.append(event)
            if event.product_id not in self.candidates:
                revealed.add(event.product_id)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "train_events": len(self.train),
            "test_events": len(self.test),
            "candidates": len(self.candidates),
            "cutoff_epoch": int(self.cutoff),
        }


def next_item_task(name: str, interactions: Sequence[Interaction]) -> NextItemTask:
    """Cut at the timestamp of the event at position floor(0.8 N) of the time-sorted file."""
    cutoff = interactions[(8 * len(interactions)) // 10].at
    train = tuple(i for i in interactions if i.at < cutoff)
    test = tuple(i for i in interactions if i.at >= cutoff)
    return NextItemTask(name, train, test, frozenset(i.product_id for i in train), cutoff)
