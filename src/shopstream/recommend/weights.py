"""The live blend's weights: hand-set by default, or those ``shopstream evaluate`` tuned.

``shopstream evaluate`` tunes the blend's weights on a validation split and writes them,
beside its report, as ``recommend-weights-<dataset>.json``; ``shopstream weights --report``
writes the same file from a saved report. ``shopstream serve`` reads it when
``recommend_weights`` (``SHOPSTREAM_RECOMMEND_WEIGHTS``) names it; otherwise the live
recommender runs on :data:`HAND_SET`. The file::

    {"source": "shopstream evaluate --dataset taobao",
     "weights": {"own": 8.0, "covisit": 2.0, "category": 1.0, "trending": 0.1, "ease": 2.0},
     "storeTrending": 0.3,
     "ease": {"l2": 500.0, "history_half_life": 60.0}}

Generators the evaluation did not tune get weight 0 (the tuned blend did without them);
``storeTrending`` is hand-set in every file, as neither dataset names stores.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shopstream.recommend.errors import InvalidRecommenderParams
from shopstream.recommend.params import require_non_negative, require_positive

BLEND_GENERATORS = ("covisit", "own", "category", "trending", "ease")
"""The live blend's generators, by the names the weights file uses."""

EVALUATED_AS = {
    "co-visitation": "covisit",
    "own-history": "own",
    "category-trending": "category",
    "trending": "trending",
    "ease": "ease",
}
"""The evaluation's name of each live generator."""

_EASE_PARAMS = ("l2", "history_half_life")


@dataclass(frozen=True, slots=True)
class LiveWeights:
    """How much each live generator counts, and where that came from.

    ``store_trending`` weighs "trending in store 12" against the blend (the blend's best
    candidate scores its generator's weight); ``ease`` holds EASE's tuned ``l2`` and
    ``history_half_life``.
    """

    weights: Mapping[str, float]
    store_trending: float = 0.3
    ease: Mapping[str, float] = field(default_factory=dict)
    source: str = "hand-set"

    def __post_init__(self) -> None:
        unknown = sorted(set(self.weights) - set(BLEND_GENERATORS))
        if unknown:
            msg = f"weights name generators the live blend does not have: {unknown}; it has {list(BLEND_GENERATORS)}"
            raise InvalidRecommenderParams(msg, field="weights")
        for name, value in self.weights.items():
            require_non_negative("LiveWeights", f"weights[{name!r}]", value)
        require_non_negative("LiveWeights", "storeTrending", self.store_trending)
        extra = sorted(set(self.ease) - set(_EASE_PARAMS))
        if extra:
            msg = f"ease takes only {list(_EASE_PARAMS)}; got {extra}"
            raise InvalidRecommenderParams(msg, field="ease")
        for name, value in self.ease.items():
            require_positive("LiveWeights", f"ease.{name}", value)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "weights": dict(self.weights),
            "storeTrending": self.store_trending,
            "ease": dict(self.ease),
        }


HAND_SET = LiveWeights(
    {"covisit": 1.0, "own": 0.6, "category": 0.3, "trending": 0.15, "ease": 0.5},
    store_trending=0.3,
)
"""The default: behaviour first (co-visits, then the shopper's own items), then what the
shopper's categories and the whole shop trend on, the collaborative model in between."""


def from_report(report: Mapping[str, Any]) -> LiveWeights:
    """The tuned blend's weights in an evaluation report (``evaluate-<dataset>.json``)."""
    blend = next(
        (m for m in report.get("methods", ()) if m.get("name") == "shopstream-blend"), None
    )
    if blend is None or not isinstance(blend.get("params", {}).get("weights"), Mapping):
        msg = "the report has no tuned shopstream-blend weights"
        raise InvalidRecommenderParams(msg, field="methods")
    tuned = blend["params"]["weights"]
    weights = {live: float(tuned.get(evaluated, 0.0)) for evaluated, live in EVALUATED_AS.items()}
    ease_params = blend["params"].get("ease", {})
    ease = {
        name: float(ease_params[name])
        for name in _EASE_PARAMS
        if name in ease_params and math.isfinite(float(ease_params[name]))
    }
    source = str(report.get("command") or f"shopstream evaluate --dataset {report.get('dataset')}")
    return LiveWeights(weights, HAND_SET.store_trending, ease, source)


def load_weights(path: Path) -> LiveWeights:
    """Read a weights file; a malformed one raises :class:`InvalidRecommenderParams`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        msg = f"{path}: cannot read the weights file: {exc}"
        raise InvalidRecommenderParams(msg, field="recommend_weights") from exc
    if not isinstance(data, Mapping) or not isinstance(data.get("weights"), Mapping):
        msg = f"{path}: expected an object with 'weights' (generator -> weight)"
        raise InvalidRecommenderParams(msg, field="weights")
    try:
        return LiveWeights(
            {str(k): float(v) for k, v in data["weights"].items()},
            float(data.get("storeTrending", HAND_SET.store_trending)),
            {str(k): float(v) for k, v in (data.get("ease") or {}).items()},
            str(data.get("source", path.name)),
        )
    except (TypeError, ValueError) as exc:
        if isinstance(exc, InvalidRecommenderParams):
            raise
        msg = f"{path}: weights must be numbers: {exc}"
        raise InvalidRecommenderParams(msg, field="weights") from exc


def write_weights(path: Path, weights: LiveWeights) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(weights.to_json(), indent=2) + "\n", encoding="utf-8")
    return path
