"""Splitting decide's trigger counters per trigger and reason, for the dashboard."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from shopstream.campaigns import trigger_reasons

_IDS = st.text(alphabet="abcdefgh-", min_size=1, max_size=8)
_REASONS = st.sampled_from(["fired", "condition false", "cap reached (email: 1/day)", "x: y"])


@given(st.dictionaries(st.tuples(_IDS, _REASONS), st.integers(min_value=1, max_value=10**6)))
def test_every_count_lands_under_its_trigger_and_reason(
    counts: dict[tuple[str, str], int],
) -> None:
    stats = Counter({f"{trigger}: {reason}": n for (trigger, reason), n in counts.items()})
    split = trigger_reasons(stats)
    assert sum(sum(c.values()) for c in split.values()) == sum(stats.values())
    for (trigger, reason), n in counts.items():
        assert split[trigger][reason] == n


def test_a_counter_without_a_reason_is_kept_as_unknown() -> None:
    assert trigger_reasons(Counter({"t1": 3})) == {"t1": Counter({"unknown": 3})}
