"""The trends of the whole stream: what is counted, where, and how it is asked for.

:class:`Trends` is a stream processor like the catalog and profiles: fed the log in offset
order, it keeps one :class:`~shopstream.trends.counter.WindowedCounter` per kind (products,
categories, search terms) for all channels, and one more per kind and store for events that
name a store (``properties.store_id``, else the ``store_id`` the caller passes, such as the
shopper's current store), plus the external signals in force.

Counting rules:

- Weights come from :attr:`TrendRules.weights` (view 1, add to cart 3, order 5, search 1).
  Each line of an order or checkout counts once at the event's weight, whatever its
  quantity, so one bulk buyer does not make a trend.
- A product's category is the ``category`` argument (single-product events), else the
  catalog's (``lookup``), else the event's ``category`` property. **Every level of the path
  counts**: a view of a kettle in ``Home/Kitchen/Kettles`` counts for ``Home``,
  ``Home/Kitchen`` and ``Home/Kitchen/Kettles``, so "trending in Home" and "trending in
  Kettles" are both one lookup, and a surge in a small category is tested on its own counts.
- Search terms are normalised by :func:`~shopstream.trends.terms.normalize_query`.
- Events are counted at their own ``timestamp`` (clamped to the clock: never in the future),
  so late events land in the bucket they belong to; older than the longest window, they do
  not count. The clock is the latest ``now`` seen; queries are answered at ``now`` or the
  clock, whichever is later (folded buckets cannot be unfolded).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from shopstream.catalog import CategoryPath, Product, category_key, parse_category
from shopstream.core import ProductId, StoreId
from shopstream.events import EventName, Message
from shopstream.trends import emerging as _emerging
from shopstream.trends.counter import WindowedCounter
from shopstream.trends.emerging import SQUARED_WEIGHT, WEIGHT, Emerging
from shopstream.trends.errors import InvalidTrendQuery, InvalidTrendSnapshot
from shopstream.trends.queries import (
    Ranked,
    as_kind,
    as_window,
    category_filter,
    check_windows,
    trend_key,
)
from shopstream.trends.rules import PRODUCT_EVENTS, SEARCH_EVENTS, TrendKind, TrendRules, Window
from shopstream.trends.signals import Signal, Signals, signal_from_message
from shopstream.trends.snapshot import Scope, scopes_from_list, scopes_to_list
from shopstream.trends.terms import normalize_query

ProductLookup = Callable[[ProductId], Product | None]
SNAPSHOT_VERSION = 1


class Trends:
    """Sliding-window counts, emerging trends and external signals, fed in log order.

    Applying an offset at or below :attr:`last_offset` does nothing, so a replay is harmless.

    Args:
        rules: windows, buckets, weights and priors; see :class:`TrendRules`.
        lookup: finds a catalog product by id (typically ``catalog.product``), for the
            category of order lines and of events that do not carry one.

    Examples:
        >>> from shopstream.events import parse_message
        >>> t = datetime(2026, 3, 1, 12, tzinfo=UTC)
        >>> m = parse_message({"type": "track", "userId": "u1", "event": "Product Added",
        ...     "properties": {"product_id": "p1", "category": "Home > Kitchen"}},
        ...     source="web", received_at=t)
        >>> trends = Trends()
        >>> trends.apply(m, offset=1, now=t), trends.apply(m, offset=1, now=t)
        (True, False)
        >>> trends.top(TrendKind.CATEGORY, Window.HOUR, t, category="Home")
        [Ranked(key='Home/Kitchen', count=3)]
    """

    __slots__ = (
        "_categories",
        "_clock",
        "_counters",
        "_lookup",
        "_signals",
        "_tallies",
        "last_offset",
        "rules",
    )

    def __init__(self, rules: TrendRules | None = None, *, lookup: ProductLookup | None = None):
        self.rules = rules if rules is not None else TrendRules()
        self._lookup = lookup
        self._counters: dict[Scope, WindowedCounter] = {}
        self._tallies: dict[Scope, WindowedCounter] = {}
        self._categories: dict[str, str] = {}
        self._signals = Signals()
        self._clock: float | None = None
        self.last_offset: int | None = None

    @property
    def clock(self) -> datetime | None:
        """The latest ``now`` applied (processing time), or ``None`` before the first event."""
        return None if self._clock is None else datetime.fromtimestamp(self._clock, UTC)

    # -- writes ---------------------------------------------------------------------------

    def apply(
        self,
        message: Message,
        *,
        offset: int,
        now: datetime,
        category: CategoryPath | None = None,
        store_id: StoreId | None = None,
    ) -> bool:
        """Count one logged event.

        Args:
            message: the normalised event.
            offset: its log offset; at or below :attr:`last_offset` the call is a no-op.
            now: processing time (the stream's clock), which moves the windows.
            category: the category of the event's product, when the caller knows it better
                than the event (single-product events only).
            store_id: the store the shopper is in, for events that do not name one.

        Returns:
            False when the offset was already applied.
        """
        if self.last_offset is not None and offset <= self.last_offset:
            return False
        self.last_offset = offset
        seconds = now.timestamp()
        if self._clock is None or seconds > self._clock:
            self._clock = seconds
        if message.type != "track":
            return True
        event = message.event
        if event == EventName.SIGNAL_RECEIVED:
            signal = signal_from_message(message, ttl=self.rules.signal_ttl, now=now)
            if signal is not None:
                self._signals.add(signal)
            return True
        weight = self.rules.weights.get(event)
        if weight is None:
            return True
        width = self.rules.layout.widths[0]
        head = int(self._clock) // width
        moment = message.timestamp or message.received_at
        at = head if moment is None else min(int(moment.timestamp()) // width, head)
        props = message.properties
        named = props.get("store_id")
        store = StoreId(named) if isinstance(named, str) and named else store_id or None
        if event in SEARCH_EVENTS:
            query = props.get("query")
            term = (
                normalize_query(query, max_length=self.rules.max_query_length)
                if isinstance(query, str)
                else ""
            )
            if term:
                self._count(TrendKind.SEARCH, (term,), store, at, weight, head, tally=True)
            return True
        single = event in PRODUCT_EVENTS
        lines = [props] if single else props.get("products")
        counted = 0
        for line in lines if isinstance(lines, list) else ():
            product_id = line.get("product_id") if isinstance(line, dict) else None
            if not isinstance(product_id, str) or not product_id:
                continue
            counted += 1
            self._count(TrendKind.PRODUCT, (product_id,), store, at, weight, head, tally=False)
            path = self._category_of(product_id, line, category if single else None)
            if path:
                levels = _levels(tuple(path))
                self._categories[product_id] = levels[-1]
                self._count(TrendKind.CATEGORY, levels, store, at, weight, head, tally=False)
        if counted:
            # Every line is traffic in the same cell: tallied once for the whole event (the
            # tallies' own counter, so the same rows as a tally per line).
            self._tally(TrendKind.PRODUCT, store, at, weight, head, lines=counted)
        return True

    def _category_of(
        self, product_id: str, line: Mapping[str, Any], given: CategoryPath | None
    ) -> CategoryPath:
        if given:
            return given
        if self._lookup is not None:
            product = self._lookup(ProductId(product_id))
            if product is not None and product.category:
                return product.category
        raw = line.get("category")
        return parse_category(raw) if isinstance(raw, str) else ()

    def _count(
        self,
        kind: TrendKind,
        keys: tuple[str, ...],
        store: StoreId | None,
        at: int,
        weight: int,
        head: int,
        *,
        tally: bool,
    ) -> None:
        """Count ``keys`` for all channels and for ``store``; ``tally`` the traffic once
        (categories share the tally of product lines)."""
        for scope in ((kind, None), (kind, store)) if store else ((kind, None),):
            counter = self._counters.get(scope)
            if counter is None:
                counter = self._counters[scope] = WindowedCounter(self.rules.layout)
            for key in keys:
                counter.add(key, at=at, weight=weight, head=head)
        if tally:
            self._tally(kind, store, at, weight, head, lines=1)

    def _tally(
        self,
        kind: TrendKind,
        store: StoreId | None,
        at: int,
        weight: int,
        head: int,
        *,
        lines: int,
    ) -> None:
        """Count ``lines`` units of traffic of ``weight`` for all channels and for ``store``."""
        for scope in ((kind, None), (kind, store)) if store else ((kind, None),):
            traffic = self._tallies.get(scope)
            if traffic is None:
                traffic = self._tallies[scope] = WindowedCounter(self.rules.layout)
            traffic.add(WEIGHT, at=at, weight=weight * lines, head=head)
            traffic.add(SQUARED_WEIGHT, at=at, weight=weight * weight * lines, head=head)

    def expire(self, now: datetime) -> int:
        """Forget keys with nothing left in the longest window, the least recently counted
        keys beyond :attr:`TrendRules.max_keys` a counter, and lapsed signals.

        Returns:
            How many keys (over every kind and store) and signals were dropped.
        """
        _, head = self._head(now)
        dropped = 0
        for scope in list(self._counters):
            gone = self._counters[scope].expire(head)
            gone += self._counters[scope].evict(self.rules.max_keys)
            dropped += len(gone)
            if scope == (TrendKind.PRODUCT, None):
                for key in gone:
                    self._categories.pop(key, None)
            if not self._counters[scope]:
                del self._counters[scope]
        for scope in list(self._tallies):
            self._tallies[scope].expire(head)
            if not self._tallies[scope]:
                del self._tallies[scope]
        clock = self.clock
        return dropped + self._signals.expire(now if clock is None or now >= clock else clock)

    def merge(self, other: Trends) -> None:
        """Add ``other``'s counts into these (``merge(a, b)`` counts what ``a`` and ``b`` did).

        Signals keep the later issued of each; a product's category is taken from ``other``
        only when this one has none; ``last_offset`` and the clock become the later of the two.

        Raises:
            InvalidTrendQuery: the two were built with different bucket layouts.
        """
        if other.rules.layout != self.rules.layout:
            msg = (
                f"can only merge trends with the same bucket_seconds; got "
                f"{other.rules.bucket_seconds} into {self.rules.bucket_seconds}"
            )
            raise InvalidTrendQuery(msg, field="bucket_seconds")
        clocks = [c for c in (self._clock, other._clock) if c is not None]
        self._clock = max(clocks) if clocks else None
        head = int(self._clock or 0) // self.rules.layout.widths[0]
        for mine, theirs in ((self._counters, other._counters), (self._tallies, other._tallies)):
            for scope, counter in theirs.items():
                if scope not in mine:
                    mine[scope] = WindowedCounter(self.rules.layout)
                mine[scope].merge(counter, head=head)
        for product_id, key in other._categories.items():
            self._categories.setdefault(product_id, key)
        self._signals.merge(other._signals)
        offsets = [o for o in (self.last_offset, other.last_offset) if o is not None]
        self.last_offset = max(offsets) if offsets else None

    # -- reads ----------------------------------------------------------------------------

    def count(
        self,
        kind: TrendKind,
        key: str,
        window: Window,
        now: datetime,
        *,
        store_id: StoreId | None = None,
    ) -> int:
        """The weighted count of ``key`` in ``window`` at ``now`` (for all channels, or in
        ``store_id``). Category keys may be written ``"Home > Kitchen"``; search terms are
        normalised as they were when counted."""
        kind, window = as_kind(kind), as_window(window)
        counter = self._counters.get((kind, store_id or None))
        if counter is None:
            return 0
        return counter.count(
            trend_key(kind, key, max_query_length=self.rules.max_query_length),
            window.tier,
            head=self._head(now)[1],
        )

    def top(
        self,
        kind: TrendKind,
        window: Window,
        now: datetime,
        k: int = 10,
        *,
        store_id: StoreId | None = None,
        category: CategoryPath | str | None = None,
    ) -> list[Ranked]:
        """The ``k`` keys with the largest weighted counts in ``window``, ties by key.

        ``category`` keeps the products in that category (at any depth) or, for the
        category kind, ranks its direct subcategories (top-level ones when ``None``): a
        parent always outcounts its children, so only siblings are ranked together.
        """
        kind, window = as_kind(kind), as_window(window)
        accept = category_filter(kind, category, self._categories, children=True)
        counter = self._counters.get((kind, store_id or None))
        if counter is None:
            return []
        ranked = counter.top(window.tier, head=self._head(now)[1], k=k, accept=accept)
        return [Ranked(key, count) for key, count in ranked]

    def emerging(
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
        """Keys counted significantly faster in ``short`` than their ``baseline`` predicts.

        Returns the keys with at least ``min_count`` in ``short`` and a p-value below
        ``alpha``, by lift, at most ``k``; the math is in :mod:`shopstream.trends.emerging`.
        ``category`` keeps the products in it, or the categories below it (any depth).
        """
        kind, short = as_kind(kind), as_window(short, "short")
        baseline = as_window(baseline, "baseline")
        if not 0 < alpha < 1:
            msg = f"alpha must be in (0, 1); got {alpha!r}"
            raise InvalidTrendQuery(msg, field="alpha")
        check_windows(short, baseline)
        accept = category_filter(kind, category, self._categories, children=False)
        counter = self._counters.get((kind, store_id or None))
        tally = self._tallies.get(_tally_scope(kind, store_id))
        if counter is None or tally is None:
            return []
        return _emerging.rank(
            counter,
            tally,
            short=short,
            baseline=baseline,
            now=self._head(now)[0],
            rules=self.rules,
            min_count=min_count,
            alpha=alpha,
            k=k,
            accept=accept,
        )

    def score(
        self,
        kind: TrendKind,
        key: str,
        now: datetime,
        *,
        short: Window = Window.HOUR,
        baseline: Window = Window.WEEK,
        store_id: StoreId | None = None,
    ) -> Emerging:
        """The emerging-trend score of one key (for instance a category, for an ad bid)."""
        kind, short = as_kind(kind), as_window(short, "short")
        baseline = as_window(baseline, "baseline")
        check_windows(short, baseline)
        counter = self._counters.get((kind, store_id or None)) or WindowedCounter(self.rules.layout)
        tally = self._tallies.get(_tally_scope(kind, store_id)) or WindowedCounter(
            self.rules.layout
        )
        return _emerging.score(
            counter,
            tally,
            trend_key(kind, key, max_query_length=self.rules.max_query_length),
            short=short,
            baseline=baseline,
            now=self._head(now)[0],
            rules=self.rules,
        )

    def signals(self, region: str | None, now: datetime) -> list[Signal]:
        """The signals in force at ``now`` in ``region`` (its own, then those for everywhere)."""
        return self._signals.active(region, now)

    def __len__(self) -> int:
        """How many keys are counted, over every kind and store."""
        return sum(len(counter) for counter in self._counters.values())

    def _head(self, now: datetime) -> tuple[float, int]:
        seconds = now.timestamp()
        if self._clock is not None and self._clock > seconds:
            seconds = self._clock
        return seconds, int(seconds) // self.rules.layout.widths[0]

    # -- snapshots ------------------------------------------------------------------------

    def to_snapshot(self) -> dict[str, Any]:
        """A JSON-serialisable copy of every count, signal and the offset they reflect."""
        return {
            "version": SNAPSHOT_VERSION,
            "bucket_seconds": list(self.rules.bucket_seconds),
            "last_offset": self.last_offset,
            "clock": self._clock,
            "counters": scopes_to_list(self._counters),
            "tallies": scopes_to_list(self._tallies),
            "categories": dict(sorted(self._categories.items())),
            "signals": self._signals.to_snapshot(),
        }

    @classmethod
    def from_snapshot(
        cls,
        data: Mapping[str, Any],
        rules: TrendRules | None = None,
        *,
        lookup: ProductLookup | None = None,
    ) -> Trends:
        """Rebuild trends from :meth:`to_snapshot`'s output.

        Raises:
            InvalidTrendSnapshot: another version, other bucket widths, or malformed.
        """
        trends = cls(rules, lookup=lookup)
        if data.get("version") != SNAPSHOT_VERSION:
            msg = f"trends snapshot version must be {SNAPSHOT_VERSION}; got {data.get('version')!r}"
            raise InvalidTrendSnapshot(msg, field="version")
        if tuple(data.get("bucket_seconds") or ()) != trends.rules.bucket_seconds:
            msg = (
                f"trends snapshot has bucket_seconds {data.get('bucket_seconds')!r}; these "
                f"rules have {list(trends.rules.bucket_seconds)}"
            )
            raise InvalidTrendSnapshot(msg, field="bucket_seconds")
        layout = trends.rules.layout
        try:
            trends._counters = scopes_from_list(layout, data["counters"])
            trends._tallies = scopes_from_list(layout, data["tallies"])
            trends._categories = {str(p): str(c) for p, c in data["categories"].items()}
            trends._signals = Signals.from_snapshot(data["signals"])
            clock = data["clock"]
            trends._clock = None if clock is None else float(clock)
            offset = data["last_offset"]
            trends.last_offset = None if offset is None else int(offset)
        except (KeyError, TypeError, ValueError, OverflowError, AttributeError) as exc:
            msg = f"trends snapshot is malformed: {exc!r}"
            raise InvalidTrendSnapshot(msg, field="snapshot") from None
        return trends


@functools.lru_cache(maxsize=8192)
def _levels(path: CategoryPath) -> tuple[str, ...]:
    """The keys of every level of a category path: ``("Home", "Home/Kitchen")``."""
    return tuple(category_key(path[: depth + 1]) for depth in range(len(path)))


def _tally_scope(kind: TrendKind, store_id: StoreId | None) -> Scope:
    """Categories share the traffic of product lines."""
    return (TrendKind.SEARCH if kind is TrendKind.SEARCH else TrendKind.PRODUCT, store_id or None)
