"""The arguments of trend queries: checked, normalised, and turned into key filters."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from shopstream.catalog import CategoryPath, category_key, parse_category
from shopstream.trends.errors import InvalidTrendQuery
from shopstream.trends.rules import TrendKind, Window
from shopstream.trends.terms import normalize_query

KeyFilter = Callable[[str], bool]


@dataclass(frozen=True, slots=True)
class Ranked:
    """One key of a :meth:`Trends.top` ranking and its weighted count in the window."""

    key: str
    count: int


def as_kind(kind: TrendKind | str) -> TrendKind:
    try:
        return TrendKind(kind)
    except ValueError:
        msg = f"kind must be one of {[str(k) for k in TrendKind]}; got {kind!r}"
        raise InvalidTrendQuery(msg, field="kind") from None


def as_window(window: Window | str, field: str = "window") -> Window:
    try:
        return Window(window)
    except ValueError:
        msg = f"{field} must be one of {[str(w) for w in Window]}; got {window!r}"
        raise InvalidTrendQuery(msg, field=field) from None


def check_windows(short: Window, baseline: Window) -> None:
    if baseline.tier <= short.tier:
        msg = f"baseline must be a longer window than short; got short={short}, baseline={baseline}"
        raise InvalidTrendQuery(msg, field="baseline")


def trend_key(kind: TrendKind, key: str, *, max_query_length: int) -> str:
    """A key as it was counted: category paths joined by ``/``, search terms normalised."""
    if kind is TrendKind.CATEGORY:
        return category_key(parse_category(key))
    if kind is TrendKind.SEARCH:
        return normalize_query(key, max_length=max_query_length)
    return key


def category_filter(
    kind: TrendKind,
    category: CategoryPath | str | None,
    categories: Mapping[str, str],
    *,
    children: bool,
) -> KeyFilter | None:
    """Which keys a ``category`` argument keeps (``None``: all of them).

    Products: those whose category (``categories``, product id to category key) is
    ``category`` or below it. Categories: the direct subcategories of ``category`` (top-level
    ones for ``None``) with ``children``, else every category below it.

    Raises:
        InvalidTrendQuery: a category for search terms.
    """
    if kind is TrendKind.SEARCH:
        if category is not None:
            msg = "category applies to product and category trends, not search terms"
            raise InvalidTrendQuery(msg, field="category")
        return None
    if category is None:
        return (lambda key: "/" not in key) if kind is TrendKind.CATEGORY and children else None
    prefix = category_key(parse_category(category))
    below = prefix + "/"
    if kind is TrendKind.PRODUCT:

        def in_category(key: str) -> bool:
            held = categories.get(key, "")
            return held == prefix or held.startswith(below)

        return in_category
    if children:
        return lambda key: key.startswith(below) and "/" not in key[len(below) :]
    return lambda key: key.startswith(below)
