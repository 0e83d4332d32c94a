"""One suite over every :class:`AudienceStore`: memory, SQLite, and PostgreSQL (the real
server, a fresh schema each test)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shopstream.core import CustomerId
from shopstream.deliver import AudienceStore, MemoryAudiences
from shopstream.storage.postgres import PostgresAudiences, migrate
from shopstream.storage.sqlite import SQLiteAudiences
from shopstream.testing import POSTGRES_URL, scaleout_namespace

T0 = datetime(2026, 11, 25, 10, tzinfo=UTC)


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.integration)]
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AudienceStore]:
    if request.param == "memory":
        yield MemoryAudiences()
    elif request.param == "sqlite":
        lite = SQLiteAudiences(tmp_path / "audiences.db")
        yield lite
        lite.close()
    else:
        with scaleout_namespace() as ns:
            migrate(POSTGRES_URL, ns.schema)
            pg = PostgresAudiences(POSTGRES_URL, ns.schema)
            yield pg
            pg.close()


def test_a_change_says_whether_membership_changed(store: AudienceStore) -> None:
    c = CustomerId("c1")
    assert store.change("vip", c, True, T0)
    assert not store.change("vip", c, True, T0)
    assert store.members("vip") == ["c1"]
    assert store.change("vip", c, False, T0)
    assert not store.change("vip", c, False, T0)
    assert not store.change("never-joined", c, False, T0)
    assert store.members("vip") == []


def test_members_in_code_point_order_and_counts_of_audiences_with_members(
    store: AudienceStore,
) -> None:
    for customer in ("b", "B", "a", "é", "A"):
        store.change("lapsed", CustomerId(customer), True, T0)
    store.change("vip", CustomerId("z"), True, T0)
    store.change("gone", CustomerId("z"), True, T0)
    store.change("gone", CustomerId("z"), False, T0)
    assert store.members("lapsed") == ["A", "B", "a", "b", "é"]
    assert store.audiences() == {"lapsed": 5, "vip": 1}


ChangeList = list[tuple[str, str, bool]]
changes = st.lists(
    st.tuples(st.sampled_from(["vip", "lapsed"]), st.sampled_from("abcd"), st.booleans()),
    max_size=20,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(changes)
def test_any_sequence_of_changes_ends_as_in_memory(store: AudienceStore, seq: ChangeList) -> None:
    """Replayed changes (a resent activation) agree with the in-memory model, each step."""
    for audience in ("vip", "lapsed"):  # the store outlives examples: start each empty
        for member in store.members(audience):
            store.change(audience, member, False, T0)
    model = MemoryAudiences()
    for audience, customer, member in seq:
        assert store.change(audience, CustomerId(customer), member, T0) == model.change(
            audience, CustomerId(customer), member, T0
        )
    assert store.audiences() == model.audiences()
    assert [store.members(a) for a in ("vip", "lapsed")] == [
        model.members(a) for a in ("vip", "lapsed")
    ]
