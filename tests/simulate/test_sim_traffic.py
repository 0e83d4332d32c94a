"""The simulator's stream: deterministic, time-ordered, and every event a valid message."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopstream.events import Channel, parse_message
from shopstream.simulate import Simulator, generate_catalogue, generate_shoppers

START = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday


def _simulator(seed: int, shoppers: int = 150, speed: float = 1.0) -> Simulator:
    catalogue = generate_catalogue(seed, products=300, stores=4)
    return Simulator(
        seed, catalogue, generate_shoppers(catalogue, shoppers, seed=seed), START, speed
    )


def _dump(events: list[tuple[datetime, dict[str, object]]]) -> list[str]:
    return [f"{due.isoformat()} {json.dumps(raw, sort_keys=True)}" for due, raw in events]


def test_same_seed_same_events_and_another_seed_others() -> None:
    first = _dump(list(_simulator(1).events(timedelta(days=2))))
    assert first == _dump(list(_simulator(1).events(timedelta(days=2))))
    sim = _simulator(1)
    assert _dump(list(sim.events(timedelta(days=2)))) == _dump(list(sim.events(timedelta(days=2))))
    assert first != _dump(list(_simulator(2).events(timedelta(days=2))))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_event_parses_and_the_stream_is_in_time_order(seed: int) -> None:
    events = list(_simulator(seed).events(timedelta(days=4)))
    assert len(events) > 2000
    ids = set()
    previous = START
    for due, raw in events:
        assert previous <= due < START + timedelta(days=4)
        previous = due
        message = parse_message(raw, source="sim", received_at=due)
        assert message.timestamp == due
        assert message.message_id not in ids
        ids.add(message.message_id)


def test_every_channel_is_heard_from_in_a_week() -> None:
    channels = {
        parse_message(raw, source="sim", received_at=due).channel
        for due, raw in _simulator(0, shoppers=400).events(timedelta(days=7))
    }
    assert channels == set(Channel) - {Channel.SMS}


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), shoppers=st.integers(1, 60))
def test_any_seed_gives_valid_messages(seed: int, shoppers: int) -> None:
    for due, raw in _simulator(seed, shoppers).events(timedelta(days=2)):
        parse_message(raw, source="sim", received_at=due + timedelta(milliseconds=40))


def test_speed_schedules_sends_faster_than_the_simulated_clock() -> None:
    normal = list(islice(_simulator(3).events(), 300))
    fast = list(islice(_simulator(3, speed=60.0).events(), 300))
    assert [raw for _, raw in normal] == [raw for _, raw in fast]
    for (at, _), (due, _) in zip(normal, fast, strict=True):
        assert abs((due - START) * 60 - (at - START)) < timedelta(milliseconds=1)


def test_live_mode_paces_events_at_the_rate_and_stamps_them_then() -> None:
    sim = _simulator(4)
    live = list(islice(sim.live(rate=250.0), 2000))
    assert [due for due, _ in live] == [START + timedelta(seconds=k / 250) for k in range(2000)]
    for due, raw in live:
        assert parse_message(raw, source="sim", received_at=due).timestamp == due
    simulated = [raw["messageId"] for _, raw in islice(sim.events(), 2000)]
    assert [raw["messageId"] for _, raw in live] == simulated


def test_the_simulated_period_runs_on_past_a_week() -> None:
    events = _simulator(5, shoppers=40).events(timedelta(days=10))
    days = {due.date() for due, _ in events}
    assert len(days) >= 10


@pytest.mark.parametrize(
    ("start", "speed", "message"),
    [
        (datetime(2026, 3, 2), 1.0, "timezone-aware"),  # noqa: DTZ001 - the mistake under test
        (START, 0.0, "speed must be"),
    ],
)
def test_bad_arguments_are_refused(start: datetime, speed: float, message: str) -> None:
    catalogue = generate_catalogue(1, products=300, stores=3)
    with pytest.raises(ValueError, match=message):
        Simulator(1, catalogue, [], start, speed)


def test_live_mode_needs_a_positive_rate() -> None:
    with pytest.raises(ValueError, match="rate must be"):
        _simulator(1, shoppers=5).live(rate=0)


def test_a_store_only_shopper_shops_only_while_stores_are_open() -> None:
    catalogue = generate_catalogue(8, products=300, stores=2)
    shopper = replace(
        generate_shoppers(catalogue, 1, seed=8)[0],
        channels={Channel.WEB: 0.0, Channel.APP: 0.0, Channel.STORE: 1.0},
        sessions_per_day=6.0,
    )
    sim = Simulator(8, catalogue, [shopper], START)
    tz = ZoneInfo(shopper.timezone)
    sales = 0
    for due, raw in sim.events(timedelta(days=7)):
        channel = raw["context"].get("channel")
        assert channel in ("store", "pos", "server")
        if channel == "pos":
            sales += 1
            assert 9 <= due.astimezone(tz).hour < 22
    assert sales > 0
