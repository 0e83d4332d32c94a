"""The persistence port of trends, and its in-memory implementation.

Backends (``storage/``: SQLite for the embedded default, Redis for scale-out) implement
:class:`TrendStore`. Embedded, the stream processor keeps one :class:`Trends` in memory and
saves it with the offset it reflects. Scaled out, each worker counts its partitions into a
fresh :class:`Trends` and :meth:`~TrendStore.merge` adds it to the shared counts (counters
are mergeable: merging is summing), while API processes answer queries from the store.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from shopstream.catalog import CategoryPath
from shopstream.core import StoreId
from shopstream.trends.emerging import Emerging
from shopstream.trends.queries import Ranked
from shopstream.trends.rules import TrendKind, TrendRules, Window
from shopstream.trends.signals import Signal
from shopstream.trends.trends import Trends


class TrendStore(Protocol):
    async def load(self) -> Trends:
        """All counts and signals, with the log offset they reflect, for the stream processor."""
        ...

    async def save(self, trends: Trends) -> None:
        """Replace the stored trends and their offset, atomically."""
        ...

    async def merge(self, delta: Trends) -> None:
        """Add a worker's counts (and signals) to the stored ones."""
        ...

    async def count(
        self,
        kind: TrendKind,
        key: str,
        window: Window,
        now: datetime,
        *,
        store_id: StoreId | None = None,
    ) -> int: ...

    async def top(
        self,
        kind: TrendKind,
        window: Window,
        now: datetime,
        k: int = 10,
        *,
        store_id: StoreId | None = None,
        category: CategoryPath | str | None = None,
    ) -> list[Ranked]: ...

    async def emerging(
        self,
        kind: TrendKind,
        now: datetime,
        *,
        short: Window = Window.HOUR,
        baseline: Window = Window.WEEK,
        min_count: int = 5,
        alpha: float = 0.01,
        k: int = 20,
        store_id: StoreId | None = None,
        category: CategoryPath | str | None = None,
    ) -> list[Emerging]: ...

    async def signals(self, region: str | None, now: datetime) -> list[Signal]: ...


class MemoryTrendStore:
    """A :class:`TrendStore` over one :class:`Trends` in memory, copied in and out so callers
    cannot alias its state."""

    __slots__ = ("_rules", "_trends")

    def __init__(self, rules: TrendRules | None = None) -> None:
        self._rules = rules
        self._trends = Trends(rules)

    async def load(self) -> Trends:
        return Trends.from_snapshot(self._trends.to_snapshot(), self._rules)

    async def save(self, trends: Trends) -> None:
        self._trends = Trends.from_snapshot(trends.to_snapshot(), self._rules)

    async def merge(self, delta: Trends) -> None:
        self._trends.merge(delta)

    async def count(
        self,
        kind: TrendKind,
        key: str,
        window: Window,
        now: datetime,
        *,
        store_id: StoreId | None = None,
    ) -> int:
        return self._trends.count(kind, key, window, now, store_id=store_id)

    async def top(
        self,
        kind: TrendKind,
        window: Window,
        now: datetime,
        k: int = 10,
        *,
        store_id: StoreId | None = None,
        category: CategoryPath | str | None = None,
    ) -> list[Ranked]:
        return self._trends.top(kind, window, now, k, store_id=store_id, category=category)

    async def emerging(
        self,
        kind: TrendKind,
        now: datetime,
        *,
        short: Window = Window.HOUR,
        baseline: Window = Window.WEEK,
        min_count: int = 5,
        alpha: float = 0.01,
        k: int = 20,
        store_id: StoreId | None = None,
        category: CategoryPath | str | None = None,
    ) -> list[Emerging]:
        return self._trends.emerging(
            kind,
            now,
            short=short,
            baseline=baseline,
            min_count=min_count,
            alpha=alpha,
            k=k,
            store_id=store_id,
            category=category,
        )

    async def signals(self, region: str | None, now: datetime) -> list[Signal]:
        return self._trends.signals(region, now)
