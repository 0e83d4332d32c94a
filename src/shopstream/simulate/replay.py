"""A real dataset as timed events, whichever of the two formats the path holds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from shopstream.simulate.datasets import RawEvent, online_retail_events, taobao_events


def is_taobao(path: Path) -> bool:
    """Taobao's ``UserBehavior.csv[.gz]`` (or its folder); anything else is Online Retail."""
    if path.is_dir():
        return any(path.glob("UserBehavior.csv*"))
    return path.name.startswith("UserBehavior")


def replay_events(path: Path) -> Iterator[tuple[datetime, RawEvent]]:
    """Each event of the dataset at ``path`` with the moment it happened, in file order."""
    events = taobao_events(path) if is_taobao(path) else online_retail_events(path)
    for event in events:
        moment = datetime.fromisoformat(event["timestamp"])
        yield (moment if moment.tzinfo else moment.replace(tzinfo=UTC)), event
