"""The retry schedule and the token bucket."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopstream.deliver import Backoff, InvalidChannelConfig, TokenBucket


def test_the_schedule_doubles_to_its_ceiling() -> None:
    schedule = Backoff(base_seconds=0.5, factor=3, max_seconds=20, jitter=0, max_attempts=5)
    rng = random.Random(1)
    assert [schedule.delay(n, rng) for n in range(1, 6)] == [0.5, 1.5, 4.5, 13.5, 20.0]
    assert [schedule.gives_up(n) for n in (1, 4, 5, 6)] == [False, False, True, True]


@given(st.integers(1, 200), st.floats(0, 1), st.integers(0, 2**32))
def test_jitter_stays_within_its_band(retry: int, jitter: float, seed: int) -> None:
    schedule = Backoff(base_seconds=1, factor=2, max_seconds=300, jitter=jitter)
    delay = schedule.delay(retry, random.Random(seed))
    ceiling = schedule.ceiling(retry)
    assert ceiling * (1 - jitter) - 1e-9 <= delay <= ceiling


def test_jitter_spreads_retries_that_failed_together() -> None:
    schedule = Backoff(base_seconds=1, factor=2, max_seconds=300, jitter=0.5)
    rng = random.Random(7)
    delays = [schedule.delay(4, rng) for _ in range(200)]
    assert min(delays) < 4.5
    assert max(delays) > 7.5


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"base_seconds": 0}, "retry.base_seconds"), ({"jitter": 1.5}, "retry.jitter"),
     ({"max_attempts": 0}, "retry.max_attempts"), ({"factor": 0.5}, "retry.factor")],
)  # fmt: skip
def test_a_bad_schedule_names_its_field(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(InvalidChannelConfig) as raised:
        Backoff(**kwargs)  # type: ignore[arg-type]
    assert raised.value.field == field


def test_the_bucket_allows_burst_then_rate() -> None:
    bucket = TokenBucket(rate=10, burst=5, now=0.0)
    assert bucket.take(100, now=0.0) == 5
    assert bucket.take(100, now=0.05) == 0
    assert bucket.wait(now=0.05) == pytest.approx(0.05)
    assert bucket.take(100, now=0.35) == 3
    bucket.give_back(2)
    assert bucket.take(100, now=0.35) == 2


@given(st.lists(st.tuples(st.floats(0, 2), st.integers(0, 50)), max_size=60))
def test_the_bucket_never_exceeds_burst_plus_rate_times_time(
    steps: list[tuple[float, int]],
) -> None:
    bucket = TokenBucket(rate=7, burst=4, now=0.0)
    now, taken = 0.0, 0
    for gap, wanted in steps:
        now += gap
        got = bucket.take(wanted, now)
        assert 0 <= got <= wanted
        taken += got
    assert taken <= 4 + 7 * now + 1e-6
