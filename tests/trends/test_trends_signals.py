from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from shopstream.events import Message, parse_message
from shopstream.trends import Signal, TrendRules, Trends

T0 = datetime(2026, 7, 1, 6, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def signal(hour: float = 0, **props: Any) -> Message:
    raw = {
        "type": "track",
        "userId": "weather-feed",
        "event": "Signal Received",
        "properties": props,
        "timestamp": at(hour).isoformat(),
    }
    return parse_message(raw, source="feeds", received_at=at(hour))


def feed(trends: Trends, messages: list[Message]) -> None:
    for offset, message in enumerate(messages, 1):
        assert message.received_at is not None
        trends.apply(message, offset=offset, now=message.received_at)


def test_a_signal_holds_in_its_region_until_it_lapses() -> None:
    trends = Trends()
    feed(
        trends,
        [
            signal(
                kind="weather.heatwave",
                region=" UK ",
                values={"temp_c": 34, "note": "hot", "nested": {"x": 1}},
                valid_until=at(48).isoformat(),
            )
        ],
    )
    [held] = trends.signals("uk", at(1))
    assert held == Signal(
        kind="weather.heatwave",
        region="uk",
        values={"temp_c": 34, "note": "hot"},  # scalars only
        issued_at=at(0),
        valid_from=at(0),
        valid_until=at(48),
    )
    assert trends.signals("UK", at(47.9)) == [held]
    assert trends.signals("UK", at(48)) == []
    assert trends.signals("fr", at(1)) == []
    assert trends.signals(None, at(1)) == []


def test_defaults_span_the_ttl_from_the_event_and_regionless_signals_hold_everywhere() -> None:
    trends = Trends(TrendRules(signal_ttl=timedelta(hours=3)))
    feed(trends, [signal(kind="event.match-day"), signal(kind="weather.rain", region="fr")])
    assert [s.kind for s in trends.signals("fr", at(1))] == ["weather.rain", "event.match-day"]
    assert [s.kind for s in trends.signals(None, at(1))] == ["event.match-day"]
    assert trends.signals("fr", at(3)) == []


def test_a_forecast_for_later_holds_only_from_its_start() -> None:
    trends = Trends()
    feed(trends, [signal(kind="weather.snow", valid_from=at(24).isoformat(), valid_until="bad")])
    assert trends.signals("uk", at(23)) == []
    [held] = trends.signals("uk", at(24))
    assert held.valid_until == at(24) + TrendRules().signal_ttl


def test_a_revised_signal_replaces_the_one_before_it_but_a_late_old_one_does_not() -> None:
    trends = Trends()
    revised = signal(2, kind="weather.heatwave", region="uk", values={"temp_c": 36})
    first = signal(0, kind="weather.heatwave", region="uk", values={"temp_c": 34})
    assert revised.received_at is not None
    trends.apply(revised, offset=1, now=revised.received_at)
    trends.apply(first, offset=2, now=revised.received_at)
    assert [s.values for s in trends.signals("uk", at(3))] == [{"temp_c": 36}]


def test_signals_without_a_kind_or_a_span_are_ignored() -> None:
    trends = Trends()
    feed(
        trends,
        [
            signal(kind="weather.fog", valid_from=at(5).isoformat(), valid_until=at(4).isoformat()),
            signal(kind="weather.hail", region="  ", values=["not", "a", "dict"]),
        ],
    )
    [hail] = trends.signals("anywhere", at(1))
    assert (hail.kind, hail.region, dict(hail.values)) == ("weather.hail", None, {})


def test_expiry_merge_and_snapshots_keep_the_latest_signal() -> None:
    mine, theirs = Trends(), Trends()
    feed(mine, [signal(0, kind="weather.heatwave", region="uk", values={"temp_c": 30})])
    feed(
        theirs,
        [
            signal(1, kind="weather.heatwave", region="uk", values={"temp_c": 33}),
            signal(1, kind="weather.rain", region="fr", valid_until=at(2).isoformat()),
        ],
    )
    mine.merge(theirs)
    assert [s.values for s in mine.signals("uk", at(2))] == [{"temp_c": 33}]
    restored = Trends.from_snapshot(mine.to_snapshot())
    assert restored.to_snapshot() == mine.to_snapshot()
    assert restored.signals("uk", at(2)) == mine.signals("uk", at(2))
    assert mine.expire(at(2)) == 1  # the rain
    assert mine.signals("fr", at(1.5)) == []
