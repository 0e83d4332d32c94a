"""Which methods each protocol runs, how each is built, and the grid each is tuned over.

Peers come first: the tuned most-popular ranking pads every peer that can run short, and
the tuned EASE is also the collaborative part of our blend. Our generators are then tuned
one by one, alone, and the blend's weights last (see :mod:`.runner`). A grid's first value
is where the search starts; ``--quick`` keeps only that value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from shopstream.recommend.covisitation import CoVisitation
from shopstream.recommend.ease import EASE
from shopstream.recommend.evaluation.factorization import ImplicitALS, ImplicitBPR, ImplicitItemKNN
from shopstream.recommend.evaluation.popular import MostPopular, RecentItems, RepeatBuy
from shopstream.recommend.evaluation.sessionknn import SessionKNN
from shopstream.recommend.evaluation.tuning import Params
from shopstream.recommend.generator import CandidateGenerator
from shopstream.recommend.history import OwnHistory
from shopstream.recommend.trending import CategoryTrending, Trending

DAY = 86_400.0
Builder = Callable[[Params, Mapping[str, Params]], CandidateGenerator]


@dataclass(frozen=True, slots=True)
class MethodSpec:
    """A method of the suite: its name, role, builder and tuning grid."""

    name: str
    role: Literal["peer", "component"]
    build: Builder
    grid: Mapping[str, Sequence[object]]

    def quick(self) -> MethodSpec:
        """The same method with only the first value of each parameter."""
        first = {name: values[:1] for name, values in self.grid.items()}
        return MethodSpec(self.name, self.role, self.build, first)


@dataclass(frozen=True, slots=True)
class Suite:
    """The peers and our blend's generators for one protocol, and the blend's weight grid."""

    peers: tuple[MethodSpec, ...]
    components: tuple[MethodSpec, ...]
    blend_weights: tuple[float, ...]
    blend_rounds: int

    def quick(self) -> Suite:
        return Suite(
            tuple(spec.quick() for spec in self.peers),
            tuple(spec.quick() for spec in self.components),
            (1.0, 0.0, 0.25, 2.0),
            1,
        )


def _popular(chosen: Mapping[str, Params]) -> MostPopular:
    return MostPopular(**chosen.get("most-popular", {}))  # type: ignore[arg-type]


def _padded(cls: Callable[..., CandidateGenerator]) -> Builder:
    return lambda params, chosen: cls(**params, popular=_popular(chosen))


def _plain(cls: Callable[..., CandidateGenerator]) -> Builder:
    return lambda params, chosen: cls(**params)


def _shared_peers(ease_grid: Mapping[str, Sequence[object]]) -> tuple[MethodSpec, ...]:
    return (
        MethodSpec(
            "implicit-als",
            "peer",
            _padded(ImplicitALS),
            {
                "factors": (64, 32, 128, 256, 512),
                "regularization": (0.01, 0.001, 0.1, 1.0, 10.0, 100.0),
                "alpha": (1.0, 0.05, 0.25, 5.0, 20.0, 50.0, 200.0),
                "iterations": (15,),
            },
        ),
        MethodSpec(
            "implicit-bpr",
            "peer",
            _padded(ImplicitBPR),
            {
                "factors": (64, 32, 128, 256, 512),
                "learning_rate": (0.05, 0.005, 0.01, 0.1, 0.2, 0.5),
                "regularization": (0.01, 0.00001, 0.0001, 0.001, 0.1),
                "iterations": (100, 300, 600),
            },
        ),
        MethodSpec(
            "implicit-itemknn",
            "peer",
            _padded(ImplicitItemKNN),
            {"similarity": ("cosine", "bm25"), "neighbours": (50, 2, 5, 10, 20, 100, 200)},
        ),
        MethodSpec("ease", "peer", _plain(EASE), ease_grid),
    )


def retail_suite() -> Suite:
    """Protocol R: next basket on UCI Online Retail."""
    peers = (
        MethodSpec(
            "most-popular",
            "peer",
            _plain(MostPopular),
            {
                "count": ("interactions", "shoppers"),
                "window_days": (None, 7.0, 14.0, 30.0, 90.0),
            },
        ),
        MethodSpec(
            "repeat-buy", "peer", _padded(RepeatBuy), {"order_by": ("frequency", "recency")}
        ),
        *_shared_peers(
            {
                "l2": (500.0, 1.0, 3.0, 10.0, 20.0, 50.0, 100.0, 250.0, 1000.0, 2000.0),
                "history_half_life": (30 * DAY, 7 * DAY, 90 * DAY, 365 * DAY, 3650 * DAY),
                "max_items": (10_000,),
            }
        ),
    )
    components = (
        MethodSpec(
            "own-history",
            "component",
            _plain(OwnHistory),
            {"half_life": (90 * DAY, 30 * DAY, 180 * DAY, 365 * DAY, 730 * DAY)},
        ),
        MethodSpec(
            "co-visitation",
            "component",
            _plain(CoVisitation),
            {
                "half_life": (90 * DAY, 30 * DAY, 365 * DAY, 3650 * DAY),
                "history_half_life": (30 * DAY, 7 * DAY, 90 * DAY, 365 * DAY),
                "depth": (20, 50, 100),
            },
        ),
        MethodSpec(
            "trending",
            "component",
            _plain(Trending),
            {"half_life": (30 * DAY, 3 * DAY, 7 * DAY, 90 * DAY)},
        ),
    )
    return Suite(peers, components, (1.0, 0.0, 0.1, 0.25, 0.5, 2.0, 4.0, 8.0, 16.0), 3)


def taobao_suite() -> Suite:
    """Protocol T: next item on the Taobao slice, learning from the stream."""
    peers = (
        MethodSpec(
            "most-popular", "peer", _plain(MostPopular), {"count": ("interactions", "shoppers")}
        ),
        MethodSpec("recent-items", "peer", _padded(RecentItems), {}),
        MethodSpec(
            "session-knn",
            "peer",
            _padded(SessionKNN),
            {
                "neighbours": (100, 50, 200),
                "sample": (500, 250, 1000),
                "session_gap": (1800.0, 3 * 3600.0),
            },
        ),
        *_shared_peers(
            {
                "l2": (100.0, 10.0, 50.0, 250.0, 500.0, 1000.0, 2000.0),
                "max_items": (5_000, 2_000, 10_000, 15_000, 20_000),
                "history_half_life": (1800.0, 10.0, 60.0, 300.0, 7200.0),
            }
        ),
    )
    components = (
        MethodSpec(
            "own-history",
            "component",
            _plain(OwnHistory),
            {"half_life": (300.0, 60.0, 900.0, 3600.0, 7200.0, 86_400.0)},
        ),
        MethodSpec(
            "co-visitation",
            "component",
            _plain(CoVisitation),
            {
                "half_life": (3600.0, 120.0, 600.0, math.inf),
                "history_half_life": (300.0, 60.0, 1800.0, 7200.0, 86_400.0),
                "depth": (10, 3, 30),
                "session_gap": (1800.0, 3600.0, 3 * 3600.0),
            },
        ),
        MethodSpec(
            "trending", "component", _plain(Trending), {"half_life": (1800.0, 600.0, 7200.0)}
        ),
        MethodSpec(
            "category-trending",
            "component",
            _plain(CategoryTrending),
            {
                "half_life": (1800.0, 600.0, 7200.0),
                "history_half_life": (300.0, 60.0, 1800.0, 7200.0),
                "depth": (3, 1, 10),
            },
        ),
    )
    return Suite(peers, components, (1.0, 0.0, 0.1, 0.25, 0.5, 2.0, 4.0, 8.0, 16.0), 3)
