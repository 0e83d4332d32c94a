"""``GET /v1/trends``: the products, categories or search terms rising now (server key)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from shopstream.api.admin import require
from shopstream.api.auth import Scope
from shopstream.api.responses import JSON
from shopstream.core import StoreId, utcnow
from shopstream.engine import Engine
from shopstream.trends import TrendKind, Window, rising

router = APIRouter(prefix="/v1", tags=["trends"])

# ``term`` is the name the API documents; ``search`` is the domain's (and the dashboard's).
_KINDS = {"product": TrendKind.PRODUCT, "category": TrendKind.CATEGORY,
          "term": TrendKind.SEARCH, "search": TrendKind.SEARCH}  # fmt: skip
WindowName = Literal["5m", "1h", "1d", "7d"]


@router.get("/trends")
async def trends(
    request: Request,
    kind: Literal["product", "category", "term", "search"] = "product",
    window: WindowName = "1h",
    baseline: WindowName = "7d",
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    store: Annotated[str | None, Query(min_length=1, max_length=256)] = None,
    alpha: Annotated[float, Query(gt=0, lt=1)] = 0.01,
    min_count: Annotated[int, Query(alias="minCount", ge=1, le=1_000_000)] = 5,
) -> JSON:
    """The keys counted significantly faster in ``window`` than their own ``baseline`` pace,
    by velocity: each with its score, velocity, counts in every window and significance."""
    require(request, Scope.SERVER)
    engine: Engine = request.app.state.engine
    now = utcnow()
    found = rising(
        engine.trends,
        _KINDS[kind],
        now,
        window=Window(window),
        baseline=Window(baseline),
        limit=limit,
        alpha=alpha,
        min_count=min_count,
        store_id=StoreId(store) if store else None,
    )
    return JSON({
        "kind": kind,
        "window": window,
        "baseline": baseline,
        "store": store,
        "at": now,
        "items": [
            {"key": r.key, "score": round(r.score, 4), "velocity": round(r.velocity, 4),
             "counts": {str(w): c for w, c in r.counts.items()},
             "expected": round(r.expected, 4),
             "significance": {"pValue": r.p_value, "z": round(r.z, 4), "alpha": alpha}}
            for r in found
        ],
    })  # fmt: skip
