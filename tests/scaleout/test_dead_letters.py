"""Dead letters on the scale-out backend: durable in PostgreSQL before the response that names
them (``ack=redis+postgres``), archived by the workers and trimmed from Redis (any ``ack``),
and read the same, in the same order and pages, wherever they are."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg
import pytest

from shopstream.log import DeadLetter
from shopstream.settings import Settings
from shopstream.storage.scaleout import ScaleOutLog, ScaleOutParts, build, build_worker
from shopstream.testing import POSTGRES_URL, REDIS_URL, Namespace, scaleout_namespace

pytestmark = pytest.mark.integration

AT = datetime(2026, 11, 26, 1, 2, 3, 456789, tzinfo=UTC)


def letters(count: int, start: int = 0) -> list[DeadLetter]:
    return [
        DeadLetter("web", AT, f"batch[{i}].userId", f"reason {i}", b'{"n":%d}' % i)
        for i in range(start, start + count)
    ]


def archived_ids(schema: str) -> list[int]:
    with psycopg.connect(POSTGRES_URL) as conn:
        rows = conn.execute(f"SELECT id FROM {schema}.dead_letters ORDER BY id").fetchall()
    return [int(r[0]) for r in rows]


@pytest.fixture
def namespace() -> Iterator[Namespace]:
    with scaleout_namespace() as ns:
        yield ns


def settings_for(ns: Namespace, ack: str) -> Settings:
    return Settings(
        redis_url=REDIS_URL, postgres_url=POSTGRES_URL, redis_prefix=ns.prefix,
        postgres_schema=ns.schema, partitions=4, ack=ack,
    )  # fmt: skip


@pytest.fixture(params=["redis+postgres", "redis"])
def ack(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def parts(ack: str, namespace: Namespace) -> AsyncIterator[ScaleOutParts]:
    built = build(settings_for(namespace, ack))
    try:
        yield built
    finally:
        await built.log.close()
        for close in built.closers:
            close()


async def every_page(log: ScaleOutLog, total: int) -> dict[tuple[int, int], list[DeadLetter]]:
    return {
        (after, limit): await log.dead_letters(after, limit)
        for after in range(total + 1)
        for limit in (1, 3, total + 5)
    }


async def test_archived_and_trimmed_dead_letters_read_the_same(
    parts: ScaleOutParts, namespace: Namespace, ack: str
) -> None:
    log = parts.log
    assert isinstance(log, ScaleOutLog)
    await log.dead_letter(letters(4))
    # With redis+postgres a dead letter is committed to PostgreSQL before dead_letter returns
    # (the collector answers after it); with ack=redis, as events, it waits for the workers.
    assert archived_ids(namespace.schema) == ([1, 2, 3, 4] if ack == "redis+postgres" else [])
    await log.dead_letter(letters(3, start=4))
    before = await every_page(log, 7)
    assert [d.id for d in before[(0, 12)]] == [1, 2, 3, 4, 5, 6, 7]
    assert [d.reason for d in before[(0, 12)]] == [f"reason {i}" for i in range(7)]

    workers = build_worker(settings_for(namespace, ack))
    try:
        assert await workers.worker.archive_dead_letters(page=3) == 7
    finally:
        await workers.close()
    assert archived_ids(namespace.schema) == [1, 2, 3, 4, 5, 6, 7]
    assert await log.redis.dead_letters(0, 10) == []  # trimmed from Redis
    assert await every_page(log, 7) == before
    await log.dead_letter(letters(2, start=7))  # ids go on; these two are in Redis
    assert [d.id for d in await log.dead_letters(5, 10)] == [6, 7, 8, 9]


@pytest.mark.parametrize("backend", ["scaleout"], indirect=True)
async def test_the_admin_read_is_the_same_once_the_workers_archived(
    client: httpx.AsyncClient,
    writer: tuple[str, str],
    admin: dict[str, str],
    settings: Settings,
) -> None:
    bad = [{"type": "track", "event": "Order Completed", "userId": f"u{i}"} for i in range(5)]
    for event in bad:  # no order_id: each request answers 400 naming the dead letter's field
        response = await client.post("/v1/batch", json={"batch": [event]}, auth=writer)
        assert response.status_code == 400

    async def pages() -> list[Any]:
        return [
            (await client.get("/v1/dead-letters", params=params, headers=admin)).json()
            for params in ({}, {"after": 2, "limit": 2}, {"after": 4}, {"after": 5})
        ]

    before = await pages()
    assert [d["event"]["userId"] for d in before[0]["deadLetters"]] == [f"u{i}" for i in range(5)]
    workers = build_worker(settings)
    try:
        assert await workers.worker.archive_dead_letters() == 5
    finally:
        await workers.close()
    assert await pages() == before
