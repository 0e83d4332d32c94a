"""What every candidate generator answers: a product, its score and the reason for it."""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass, field
from operator import itemgetter

from shopstream.core import ProductId


@dataclass(frozen=True, slots=True)
class Scored:
    """One recommended product. Scores compare within one answer, not across answers.

    ``about`` is the product the reason refers to when it ends with that product's id
    ("viewed together with p1"), so an answer can name it ("viewed together with Blue Mug").

    Examples:
        >>> Scored(ProductId("p9"), 0.83, "viewed together with p1")
        Scored(product_id='p9', score=0.83, reason='viewed together with p1')
    """

    product_id: ProductId
    score: float
    reason: str
    about: ProductId | None = field(default=None, repr=False)


def top_k(scores: Mapping[ProductId, float], k: int) -> list[tuple[ProductId, float]]:
    """The ``k`` best ``(item, score)`` pairs, best first, ties by product id.

    Examples:
        >>> top_k({ProductId("b"): 1.0, ProductId("a"): 1.0, ProductId("c"): 2.0}, 2)
        [('c', 2.0), ('a', 1.0)]
    """
    if k <= 0 or not scores:
        return []
    items = scores.items()
    if k < len(scores):
        # The k-th best score, then every item at least as good (ties at the threshold
        # included): C-level selection and sorts, no Python key function per item.
        values = scores.values()
        if 8 * k < len(scores):
            threshold = heapq.nlargest(k, values)[-1]
        else:  # a heap in Python costs more than a sort in C when k is near n
            threshold = sorted(values, reverse=True)[k - 1]
        items = [kv for kv in items if kv[1] >= threshold]  # type: ignore[assignment]
    # By id, then stably by score, best first: ties stay in id order.
    return sorted(sorted(items), key=itemgetter(1), reverse=True)[:k]
