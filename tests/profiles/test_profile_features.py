from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopstream.profiles import (
    Affinities,
    DecayedScore,
    InvalidProfileRules,
    ProfileRules,
    RecentItems,
    decay,
)

H = 3600.0


def test_decay_halves_each_half_life_and_ignores_the_future() -> None:
    assert decay(8.0, 2 * H, H) == pytest.approx(2.0)
    assert decay(8.0, -5.0, H) == 8.0


def test_decayed_score_adds_late_events_decayed_to_its_clock() -> None:
    score = DecayedScore().add(1.0, at=2 * H, half_life=H).add(4.0, at=0.0, half_life=H)
    assert score == DecayedScore(2.0, 2 * H)


def test_affinities_cap_drops_the_weakest_key() -> None:
    aff = Affinities()
    aff.add("a", 3.0, 0.0, H, cap=2)
    aff.add("b", 2.0, 0.0, H, cap=2)
    aff.add("c", 1.0, 0.0, H, cap=2)
    assert set(aff.scores) == {"a", "b"}
    assert aff.top(H, H, 1) == [("a", pytest.approx(1.5))]


def test_recent_items_are_distinct_newest_first_and_bounded() -> None:
    items = RecentItems()
    for item, at in [("a", 1.0), ("b", 2.0), ("a", 3.0), ("c", 0.5), ("d", 4.0)]:
        items.add(item, at, limit=3)
    assert list(items) == [("d", 4.0), ("a", 3.0), ("b", 2.0)]
    items.add("a", 2.5, limit=3)  # an older sighting changes nothing
    assert items.ids == ["d", "a", "b"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"recent_views": 0}, "recent_views"),
        ({"presence_ttl": timedelta(0)}, "presence_ttl"),
        ({"affinity_weights": {"Product Viewed": -1.0}}, "affinity_weights.Product Viewed"),
        ({"intent_weights": {"Product Viewed": float("nan")}}, "intent_weights.Product Viewed"),
    ],
)
def test_rules_are_validated(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidProfileRules) as info:
        ProfileRules(**kwargs)  # type: ignore[arg-type]
    assert info.value.field == field
    assert isinstance(info.value, ValueError)


_events = st.lists(
    st.tuples(st.sampled_from("abcd"), st.floats(0.1, 5.0), st.floats(0.0, 10 * H)), max_size=30
)


@given(_events, st.data())
def test_affinity_merge_equals_sequential_updates(
    events: list[tuple[str, float, float]], data: st.DataObject
) -> None:
    sequential = Affinities()
    left, right = Affinities(), Affinities()
    for key, weight, at in events:
        sequential.add(key, weight, at, H, cap=10)
        side = left if data.draw(st.booleans()) else right
        side.add(key, weight, at, H, cap=10)
    left.merge(right, H, cap=10)
    moment = 20 * H
    assert dict(left.top(moment, H, 10)) == pytest.approx(dict(sequential.top(moment, H, 10)))


@given(st.lists(st.tuples(st.floats(0.1, 5.0), st.floats(0.0, 10 * H)), max_size=20), st.data())
def test_decayed_score_merge_equals_sequential(
    events: list[tuple[float, float]], data: st.DataObject
) -> None:
    sequential, left, right = DecayedScore(), DecayedScore(), DecayedScore()
    for weight, at in events:
        sequential = sequential.add(weight, at, H)
        if data.draw(st.booleans()):
            left = left.add(weight, at, H)
        else:
            right = right.add(weight, at, H)
    merged = left.merge(right, H)
    assert merged.at(20 * H, H) == pytest.approx(sequential.at(20 * H, H))
