from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

import shopstream.trends
from shopstream.trends import InvalidTrendRules, TrendRules, Window, normalize_query


def test_public_names_are_the_ones_exported() -> None:
    assert all(not name.startswith("_") for name in shopstream.trends.__all__)
    assert all(hasattr(shopstream.trends, name) for name in shopstream.trends.__all__)


def test_default_layout() -> None:
    layout = TrendRules().layout
    assert layout.widths == (10, 60, 900, 7200)
    assert layout.cells == (30, 60, 96, 84)
    assert layout.multiples == (1, 6, 90, 720)
    assert [w.seconds for w in Window] == [300, 3600, 86_400, 604_800]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"bucket_seconds": (10, 60, 900)}, "bucket_seconds", "4 integers >= 1"),
        ({"bucket_seconds": (0, 60, 900, 7200)}, "bucket_seconds", "4 integers >= 1"),
        ({"bucket_seconds": (20, 50, 900, 7200)}, "bucket_seconds", "must divide the 5m window"),
        ({"bucket_seconds": (10, 60, 900, 86_400 * 7)}, "bucket_seconds", "would not nest"),
        ({"weights": {"Product Removed": 1}}, "weights", "can only be given to"),
        ({"weights": {"Product Viewed": 0}}, "weights", "integer >= 1"),
        ({"weights": {"Product Viewed": 1.5}}, "weights", "integer >= 1"),
        ({"signal_ttl": timedelta(0)}, "signal_ttl", "positive duration"),
        ({"prior_hours": 0}, "prior_hours", "positive number"),
        ({"prior_rate_per_hour": float("nan")}, "prior_rate_per_hour", "positive number"),
        ({"traffic_prior": -1.0}, "traffic_prior", "positive number"),
        ({"max_query_length": 0}, "max_query_length", ">= 1"),
    ],
)
def test_invalid_rules_name_the_field(change: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(InvalidTrendRules, match=message) as info:
        TrendRules(**change)
    assert info.value.field == field
    assert info.value.code == "trends.invalid-rules"
    assert isinstance(info.value, ValueError)


def test_weights_are_copied_and_read_only() -> None:
    given = {"Product Viewed": 2}
    rules = TrendRules(weights=given)
    given["Product Viewed"] = 9
    assert rules.weights == {"Product Viewed": 2}
    with pytest.raises(TypeError):
        rules.weights["Product Viewed"] = 3  # type: ignore[index]


def test_search_terms_are_cut_to_the_maximum_length() -> None:
    assert normalize_query("red   winter boots", max_length=10) == "red winter"
    assert normalize_query("  \t ") == ""
