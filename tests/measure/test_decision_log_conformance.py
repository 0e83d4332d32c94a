"""One suite over every :class:`DecisionLog`: memory, SQLite, and PostgreSQL (the real server,
a fresh schema each test). A decision id recorded again keeps its first record."""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shopstream.core import CustomerId
from shopstream.decide import Action, ArmId, DecisionId
from shopstream.measure import DecisionLog, LoggedDecision, MemoryDecisionLog, ranked_in_order
from shopstream.storage.postgres import PostgresDecisionLog, migrate
from shopstream.storage.sqlite import SQLiteDecisionLog
from shopstream.testing import POSTGRES_URL, TcpProxy, scaleout_namespace

T0 = datetime(2026, 11, 26, 10, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.integration)]
)
def decisions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DecisionLog]:
    if request.param == "memory":
        yield MemoryDecisionLog()
    elif request.param == "sqlite":
        lite = SQLiteDecisionLog(tmp_path / "decisions.db", flush_seconds=60)
        yield lite
        lite.close()
    else:
        with scaleout_namespace() as ns:
            migrate(POSTGRES_URL, ns.schema)
            pg = PostgresDecisionLog(POSTGRES_URL, ns.schema, flush_seconds=60)
            yield pg
            pg.close()


def logged(decision_id: str, *, policy: str = "linucb@1", at: datetime = T0) -> LoggedDecision:
    actions = (
        Action(ArmId("10off"), 0.61, 0.85, "eligible (order_count == 0); best upper bound"),
        Action(ArmId("free-ship"), 0.42, 0.15, "explored"),
    )
    return LoggedDecision(
        DecisionId(decision_id), CustomerId("c_2a3b685d60ba41d5"), "cart", "web", actions, policy,
        at, {"productId": "p\u00e9-1\x00", "storeId": "s12"}, {"cart-offer": "ten_off"},
    )  # fmt: skip


def test_every_field_comes_back_and_reads_see_what_is_queued(decisions: DecisionLog) -> None:
    decision = logged("d_1")
    decisions.record(decision)  # queued: the writer would flush in a minute
    found = decisions.get("d_1")
    assert found == decision
    assert found is not None and found.at.utcoffset() == timedelta(0)
    assert decisions.get("d_unknown") is None


def test_an_empty_answer_and_a_fixed_ranking_are_logged_too(decisions: DecisionLog) -> None:
    empty = LoggedDecision(DecisionId("d_none"), CustomerId("c1"), "home", "app", (), "none", T0)
    ranked = ranked_in_order([("p1", 0.9, "bought together"), ("p2", 0.5, "trending")])
    recs = LoggedDecision(
        DecisionId("d_recs"), CustomerId("c1"), "trigger:cart-abandon", "email", ranked,
        "blend@1", T0, {"event": "Product Added"},
    )  # fmt: skip
    decisions.record(empty)
    decisions.record(recs)
    decisions.flush()
    assert decisions.get("d_none") == empty
    got = decisions.get("d_recs")
    assert got == recs
    assert got is not None and [a.propensity for a in got.actions] == [1.0, 0.0]


_ids = itertools.count()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.lists(st.integers(0, 12), max_size=8), max_size=5), st.randoms())
def test_a_decision_recorded_again_in_any_batches_keeps_its_first_record(
    decisions: DecisionLog, batches: list[list[int]], rng: random.Random
) -> None:
    """A trigger's decision logged again by a replay, or by another API process following
    the log, in any batches and order: one record per id, the first."""
    run = next(_ids)  # the store outlives examples: each its own ids

    def decision(i: int, again: bool = False) -> LoggedDecision:
        return logged(f"d_{run}_{i}", policy="replayed@2" if again else "linucb@1",
                      at=T0 + timedelta(seconds=i))  # fmt: skip

    for batch in batches:
        for i in batch:
            decisions.record(decision(i))
        decisions.flush()
    replay = [i for batch in batches for i in batch]
    rng.shuffle(replay)
    for i in replay:
        decisions.record(decision(i, again=True))
    held = {i for batch in batches for i in batch}
    for i in range(13):
        assert decisions.get(f"d_{run}_{i}") == (decision(i) if i in held else None)


@pytest.mark.integration
def test_decisions_recorded_while_postgres_is_away_are_written_when_it_is_back() -> None:
    host_port = POSTGRES_URL.split("//", 1)[1].split("/", 1)[0]
    port = int(host_port.rpartition(":")[2]) if ":" in host_port else 5432
    with scaleout_namespace() as ns, TcpProxy("127.0.0.1", port) as proxy:
        migrate(POSTGRES_URL, ns.schema)
        pg = PostgresDecisionLog(proxy.url_for(POSTGRES_URL), ns.schema, flush_seconds=0.05)
        reader = PostgresDecisionLog(POSTGRES_URL, ns.schema, flush_seconds=60)
        try:
            pg.record(logged("d_before"))
            pg.flush()
            proxy.cut()
            pg.record(logged("d_during"))  # on the answer's path: never raises
            time.sleep(0.5)  # the writer tries, fails, and holds it
            assert reader.get("d_during") is None
            proxy.restore()
            deadline = time.monotonic() + 10
            while reader.get("d_during") is None:
                assert time.monotonic() < deadline, "the held decision was never written"
                time.sleep(0.05)
            assert reader.get("d_during") == logged("d_during")
            assert reader.get("d_before") == logged("d_before")
        finally:
            pg.close()
            reader.close()
