from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shopstream.core import StoreId
from shopstream.events import Message, parse_message
from shopstream.trends import MemoryTrendStore, Ranked, TrendKind, Trends, TrendStore, Window

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def view(product_id: str, minute: float, store_id: str | None = None) -> Message:
    props = {"product_id": product_id, "category": "Home/Kitchen"}
    if store_id is not None:
        props["store_id"] = store_id
    raw = {
        "type": "track",
        "userId": "u1",
        "event": "Product Viewed",
        "properties": props,
        "timestamp": (T0 + timedelta(minutes=minute)).isoformat(),
    }
    return parse_message(raw, source="test", received_at=T0 + timedelta(minutes=minute))


def worker(messages: list[Message], first_offset: int) -> Trends:
    trends = Trends()
    for offset, message in enumerate(messages, first_offset):
        assert message.received_at is not None
        trends.apply(message, offset=offset, now=message.received_at)
    return trends


async def test_memory_store_saves_loads_and_merges_without_aliasing() -> None:
    store: TrendStore = MemoryTrendStore()
    now = T0 + timedelta(minutes=10)
    assert (await store.load()).last_offset is None

    first = worker([view("p1", 1), view("p2", 2, store_id="s1")], 1)
    await store.save(first)
    first.apply(view("p1", 3), offset=9, now=now)  # not saved: the store kept a copy
    assert await store.count(TrendKind.PRODUCT, "p1", Window.HOUR, now) == 1

    await store.merge(worker([view("p2", 5), view("p2", 6, store_id="s1")], 3))
    assert await store.top(TrendKind.PRODUCT, Window.HOUR, now) == [
        Ranked("p2", 3),
        Ranked("p1", 1),
    ]
    assert await store.top(TrendKind.PRODUCT, Window.HOUR, now, store_id=StoreId("s1")) == [
        Ranked("p2", 2)
    ]
    assert await store.top(TrendKind.CATEGORY, Window.HOUR, now, category="Home") == [
        Ranked("Home/Kitchen", 4)
    ]
    assert await store.emerging(TrendKind.PRODUCT, now) == []
    assert await store.signals("uk", now) == []

    loaded = await store.load()
    assert loaded.last_offset == 4
    loaded.apply(view("p9", 7), offset=5, now=now)
    assert await store.count(TrendKind.PRODUCT, "p9", Window.HOUR, now) == 0
