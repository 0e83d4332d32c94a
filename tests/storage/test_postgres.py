"""The PostgreSQL system of record on the real server, each test in a fresh schema."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from shopstream.core import CustomerId, Offset, ProductId, StoreId
from shopstream.events import Identifier, IdType, message_to_json, parse_message
from shopstream.log import ChildSavable
from shopstream.measure import Exposure
from shopstream.profiles import AuditEntry, MemoryProfileStore, Profiles, ProfileStore
from shopstream.profiles.snapshot import profile_to_dict
from shopstream.scaleout import ArchivedEvent
from shopstream.storage.postgres import (
    PostgresArchive,
    PostgresAuditLog,
    PostgresEventIndex,
    PostgresExposureLog,
    PostgresOutcomeLog,
    PostgresProfileStore,
    PostgresStateStore,
    PostgresUnavailable,
    migrate,
    migrations,
)
from shopstream.testing import POSTGRES_URL, Namespace, TcpProxy, scaleout_namespace

pytestmark = pytest.mark.integration

DAY = datetime(2026, 3, 1, 23, 59, tzinfo=UTC)


@pytest.fixture
def schema() -> Iterator[str]:
    with scaleout_namespace() as ns:
        migrate(POSTGRES_URL, ns.schema)
        yield ns.schema


def sql(schema: str, query: str) -> list[tuple[object, ...]]:
    with psycopg.connect(POSTGRES_URL, options=f"-c search_path={schema}") as conn:
        return conn.execute(query).fetchall()


def event(offset: int, anon: str, at: datetime, customer: str | None = "c1") -> ArchivedEvent:
    m = parse_message({"type": "track", "event": "Order Completed", "anonymousId": anon,
                       "messageId": f"m{offset}", "properties": {"order_id": "o", "total": 12.5}},
                      source="web", received_at=at)  # fmt: skip
    return ArchivedEvent(
        Offset(offset), 0, message_to_json(m), m, CustomerId(customer) if customer else None
    )


def test_migrations_apply_once_even_when_processes_race() -> None:
    with scaleout_namespace() as ns:
        results: list[list[int]] = []
        threads = [threading.Thread(target=lambda: results.append(migrate(POSTGRES_URL, ns.schema)))
                   for _ in range(4)]  # fmt: skip
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        everything = [m.version for m in migrations()]
        assert sorted(v for r in results for v in r) == everything  # each applied exactly once
        assert migrate(POSTGRES_URL, ns.schema) == []
        rows = sql(ns.schema, "SELECT version FROM schema_migrations ORDER BY version")
        assert [r[0] for r in rows] == everything


async def test_archive_is_idempotent_partitioned_by_day_and_read_in_order(schema: str) -> None:
    archive = PostgresArchive(POSTGRES_URL, schema)
    try:
        batch = [event(3, "a", DAY + timedelta(minutes=2)), event(1, "a", DAY), event(2, "b", DAY)]
        await archive.archive(batch)
        await archive.archive(batch)  # a redelivered batch
        assert await archive.count() == 3
        assert [r.offset for r in await archive.read(Offset(0), 10)] == [1, 2, 3]
        assert [r.offset for r in await archive.read(Offset(1), 10, before=Offset(3))] == [2]
        assert (await archive.read(Offset(0), 1))[0].payload == batch[1].payload
        # 'events'::regclass: this schema's table (the search path), not every schema's events
        parts = sql(schema, "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                            " WHERE i.inhparent = 'events'::regclass ORDER BY 1")  # fmt: skip
        assert [p[0] for p in parts] == ["events_20260301", "events_20260302"]
        links = sql(schema, "SELECT identifier, customer_id FROM identity_links")
        assert links == [("anonymousId:a", "c1"), ("anonymousId:b", "c1")]
        assert sql(schema, 'SELECT "offset", value FROM outcomes ORDER BY 1')[0] == (1, 12.5)
    finally:
        archive.close()


async def test_index_finds_a_customers_events_by_any_identifier(schema: str) -> None:
    archive, index = PostgresArchive(POSTGRES_URL, schema), PostgresEventIndex(POSTGRES_URL, schema)
    try:
        await archive.archive([event(1, "a", DAY), event(2, "b", DAY), event(3, "a", DAY)])
        a, b = Identifier(IdType.ANONYMOUS_ID, "a"), Identifier(IdType.ANONYMOUS_ID, "b")
        assert index.offsets([a]) == [1, 3]
        assert index.offsets([a, b], before=Offset(3)) == [1, 2]
        assert [o for o, _ in index.history([b])] == [2]
        assert [o for o, _ in index.payloads([Offset(3)])] == [3]
    finally:
        archive.close()
        index.close()


async def test_state_only_moves_forward(schema: str) -> None:
    states = PostgresStateStore(POSTGRES_URL, schema)
    try:
        assert await states.load("live") is None
        await states.save("live", Offset(10), b"ten")
        await states.save("live", Offset(5), b"five")  # a slower process: ignored
        assert await states.load("live") == (10, b"ten")
        await states.save("live", Offset(11), b"eleven")
        assert await states.load("live") == (11, b"eleven")
    finally:
        states.close()


def test_exposures_round_trip(schema: str) -> None:
    log = PostgresExposureLog(POSTGRES_URL, schema, flush_seconds=60)
    try:
        # A NUL (an event's product id may carry one) is kept: items are JSON bytes, not jsonb.
        e = Exposure("d1", CustomerId("c1"), "home", "web", (ProductId("p1"), ProductId("p\x002")),
                     ("trending", "bought with p\x002"), "blend@1", DAY, (0.7, 0.3))  # fmt: skip
        later = Exposure("d2", CustomerId("c2"), "email", "email", (ProductId("p3"),),
                         ("offer",), "linucb@1", DAY + timedelta(hours=2))  # fmt: skip
        log.record(e)
        log.record(e)  # the same decision twice: kept once
        log.record(later)
        assert list(log.of_customer(CustomerId("c1"), 10)) == [e]
        assert list(log.between(DAY, DAY + timedelta(hours=3))) == [e, later]
        assert list(log.between(DAY + timedelta(hours=1), DAY + timedelta(hours=2))) == []
    finally:
        log.close()


def test_exposures_and_measured_events_read_the_same_after_migration_7() -> None:
    with scaleout_namespace() as ns:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {ns.schema}")
            conn.execute(f"SET search_path = {ns.schema}")
            conn.execute(
                "CREATE TABLE schema_migrations (version integer PRIMARY KEY,"
                " name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            for m in migrations()[:6]:
                conn.execute(m.sql.encode())
                conn.execute("INSERT INTO schema_migrations VALUES (%s, %s)", (m.version, m.name))
            conn.execute(
                "INSERT INTO exposures VALUES ('d1', 'c1', 'home', 'web', %s, %s, 'blend@1', %s,"
                " %s)", ('["p1", "p\u00e9"]', '["trending", "similar to \\"K\\""]', DAY,
                         "[0.5, 0.25]"),
            )  # fmt: skip
            conn.execute(
                "INSERT INTO measured_events VALUES (3, 'c1', 'Order Completed', 'web', %s, 9.5,"
                " 'o\u00e9', 'cart-abandon', '10off', 'k1', 2)", (DAY,),
            )  # fmt: skip
        assert migrate(POSTGRES_URL, ns.schema) == [7]
        exposures = PostgresExposureLog(POSTGRES_URL, ns.schema, flush_seconds=60)
        outcomes = PostgresOutcomeLog(POSTGRES_URL, ns.schema, flush_seconds=60)
        try:
            [e] = exposures.of_customer(CustomerId("c1"), 10)
            assert (e.items, e.reasons, e.propensities) == (
                ("p1", "p\u00e9"), ("trending", 'similar to "K"'), (0.5, 0.25),
            )  # fmt: skip
            [m] = outcomes.between(DAY, DAY + timedelta(seconds=1))
            assert (m.order_id, m.trigger_id, m.offer_id, m.key, m.quantity) == (
                "o\u00e9", "cart-abandon", "10off", "k1", 2,
            )  # fmt: skip
        finally:
            exposures.close()
            outcomes.close()


async def test_postgres_going_away_is_unavailable_then_the_store_reconnects(schema: str) -> None:
    host_port = POSTGRES_URL.split("//", 1)[1].split("/", 1)[0]
    port = int(host_port.rpartition(":")[2]) if ":" in host_port else 5432
    with TcpProxy("127.0.0.1", port) as proxy:
        archive = PostgresArchive(proxy.url_for(POSTGRES_URL), schema)
        try:
            await archive.archive([event(1, "a", DAY)])
            proxy.cut()
            with pytest.raises(PostgresUnavailable):
                await archive.archive([event(2, "a", DAY)])
            proxy.restore()
            await archive.archive([event(2, "a", DAY)])
            assert await archive.count() == 2
        finally:
            archive.close()


def test_namespace_cleanup_drops_the_schema() -> None:
    with scaleout_namespace() as ns:
        migrate(POSTGRES_URL, ns.schema)
        kept: Namespace = ns
    assert sql("public", f"SELECT 1 FROM pg_namespace WHERE nspname = '{kept.schema}'") == []


async def test_profiles_behave_as_the_memory_store(schema: str) -> None:
    profiles = Profiles()
    for offset, event in enumerate(["Product Viewed", "Product Added", "Order Completed"], 1):
        m = parse_message({"type": "track", "event": event, "userId": "u1",
                           "properties": {"product_id": "p1", "order_id": "o", "total": 3.5,
                                          "products": [{"product_id": "p1"}]}},
                          source="web", received_at=DAY)  # fmt: skip
        profiles.apply(CustomerId("c1"), m, offset=offset, now=DAY)
    profile = profiles.get(CustomerId("c1"))
    assert profile is not None
    pg = PostgresProfileStore(POSTGRES_URL, schema)
    try:
        stores: list[ProfileStore] = [MemoryProfileStore(), pg]
        for store in stores:
            assert await store.get(CustomerId("c1")) is None
            await store.put([profile])
            got = await store.get(CustomerId("c1"))
            assert got is not None
            assert profile_to_dict(got) == profile_to_dict(profile)
            assert (got.last_offset, got.order_count, got.event_count) == (3, 1, 3)
            assert await store.delete(CustomerId("c1"))
            assert not await store.delete(CustomerId("c1"))
    finally:
        pg.close()


async def test_the_audit_log_is_append_only(schema: str) -> None:
    log = PostgresAuditLog(POSTGRES_URL, schema)
    try:
        first = await log.record(
            AuditEntry(DAY, "a-7", "associate", CustomerId("c1"), "profile.view", StoreId("s1"))
        )
        await log.record(AuditEntry(DAY, "a-8", "associate", CustomerId("c2"), "profile.view"))
        assert first.id == 1
        assert [e.actor for e in await log.read()] == ["a-7", "a-8"]
        assert await log.read(customer_id=CustomerId("c1")) == [first]
        assert [e.id for e in await log.read(after=1)] == [2]
        with (
            pytest.raises(psycopg.errors.RaiseException, match="append-only"),
            psycopg.connect(POSTGRES_URL, options=f"-c search_path={schema}") as conn,
        ):
            conn.execute("DELETE FROM audit")
    finally:
        log.close()


def test_a_forked_child_saves_state_through_its_own_connection(schema: str) -> None:
    states = PostgresStateStore(POSTGRES_URL, schema)
    try:
        asyncio.run(states.save("live", Offset(1), b"one"))  # the parent's connection is open
        pid = os.fork()
        if pid == 0:  # the child, as the consumer's forked save runs it
            code = 0
            try:
                states.save_from_child("live", Offset(2), b"two")
            except BaseException:
                code = 1
            os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert asyncio.run(states.load("live")) == (2, b"two")  # the parent's connection works
        assert isinstance(states, ChildSavable)
    finally:
        states.close()
