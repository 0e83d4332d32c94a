"""The counters of trends to and from JSON-able lists, for snapshots."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from shopstream.core import StoreId
from shopstream.trends.counter import WindowedCounter
from shopstream.trends.rules import Layout, TrendKind

Scope = tuple[TrendKind, StoreId | None]
"""``(kind, None)`` counts every channel; ``(kind, store)`` one store."""


def scopes_to_list(counters: Mapping[Scope, WindowedCounter]) -> list[dict[str, Any]]:
    """``[{"kind", "store", "rows"}]`` in kind then store order (a canonical form)."""
    ordered = sorted(counters.items(), key=lambda item: (item[0][0], item[0][1] or ""))
    return [
        {"kind": str(kind), "store": store, "rows": counter.to_rows()}
        for (kind, store), counter in ordered
    ]


def scopes_from_list(
    layout: Layout, items: Iterable[Mapping[str, Any]]
) -> dict[Scope, WindowedCounter]:
    """The inverse of :func:`scopes_to_list`; raises ``KeyError``, ``TypeError`` or
    ``ValueError`` when malformed."""
    counters: dict[Scope, WindowedCounter] = {}
    for item in items:
        store = item["store"]
        if store is not None and (not isinstance(store, str) or not store):
            msg = f"store must be a non-empty string or null; got {store!r}"
            raise ValueError(msg)
        scope = (TrendKind(item["kind"]), None if store is None else StoreId(store))
        counters[scope] = WindowedCounter.from_rows(layout, item["rows"])
    return counters
