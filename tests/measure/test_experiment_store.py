"""Where experiment definitions live: ``experiments.yaml`` embedded, PostgreSQL's
``experiments`` table on scale-out, where an edit through one API process is in force in
every other within the poll interval."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from shopstream import Engine, Settings
from shopstream.api import KeyRing, create_app
from shopstream.core import CustomerId, InvalidConfigFile
from shopstream.measure.experiment_config import ExperimentStore, parse_experiments
from shopstream.storage.configdir import ConfigDirectory, FileExperiments
from shopstream.storage.postgres import PostgresExperiments, migrate
from shopstream.testing import POSTGRES_URL, REDIS_URL, Namespace, scaleout_namespace

ONE = """\
experiments:
  - id: cart-offer
    variants: {control: 1, ten_off: 1}
    start: 2026-11-01T00:00:00Z
    exposure: {triggers: [cart-abandon]}
"""
TWO = (
    ONE
    + """\
  - id: home-recs
    variants: {a: 3, b: 1}
    start: 2026-11-01T00:00:00Z
    end: 2036-12-01T00:00:00Z
    exposure: {placements: [home]}
"""
)
ADMIN = {"Authorization": "Bearer ak_test"}
SERVER = {"Authorization": "Bearer sk_test"}


def ids(store: ExperimentStore) -> list[str]:
    return [spec.id for spec in store.current().experiments]


def test_arms_are_given_for_running_experiments_exposed_where_the_decision_is() -> None:
    book = parse_experiments(TWO)
    customer = CustomerId("c7")
    during = datetime(2026, 11, 15, tzinfo=UTC)
    home = book.by_id()["home-recs"].arm_of(customer)
    assert book.arms_of(customer, placement="home", at=during) == {"home-recs": home}
    assert book.arms_of(customer, placement="trigger:cart-abandon", at=during) == {
        "cart-offer": book.by_id()["cart-offer"].arm_of(customer)
    }
    assert book.arms_of(customer, placement="cart", at=during) == {}
    assert book.arms_of(customer, placement="home", at=datetime(2036, 12, 1, tzinfo=UTC)) == {}
    assert book.arms_of(customer, placement="home", at=datetime(2026, 10, 1, tzinfo=UTC)) == {}


def test_the_file_store_replaces_the_file_only_with_a_valid_text(tmp_path: Path) -> None:
    store = FileExperiments(ConfigDirectory(tmp_path))
    assert ids(store) == []
    assert [s.id for s in store.replace(TWO).experiments] == ["cart-offer", "home-recs"]
    assert (tmp_path / "experiments.yaml").read_text() == TWO
    with pytest.raises(InvalidConfigFile) as raised:
        store.replace(ONE.replace("ten_off: 1", "ten_off: -1"))
    assert raised.value.field is not None and "experiments.0.variants" in raised.value.field
    assert (tmp_path / "experiments.yaml").read_text() == TWO
    assert ids(store) == ["cart-offer", "home-recs"]


@pytest.fixture
def schema() -> Iterator[str]:
    with scaleout_namespace() as ns:
        migrate(POSTGRES_URL, ns.schema)
        yield ns.schema


@contextlib.contextmanager
def pg_store(schema: str, seed: str | None = None) -> Iterator[PostgresExperiments]:
    store = PostgresExperiments(
        POSTGRES_URL, schema, seed=parse_experiments(seed) if seed else None, poll_seconds=0.05
    )
    try:
        yield store
    finally:
        store.close()


def wait_for(check: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "not seen in time"
        time.sleep(0.02)


@pytest.mark.integration
def test_the_file_seeds_only_ids_the_table_never_held(schema: str) -> None:
    with pg_store(schema, seed=ONE) as first:
        assert ids(first) == ["cart-offer"]
        # A second process with the longer file adds home-recs; with a changed cart-offer,
        # the table's stays.
        changed = TWO.replace("ten_off: 1}", "ten_off: 3}")
        with pg_store(schema, seed=changed) as second:
            assert ids(second) == ["cart-offer", "home-recs"]
            assert second.current().by_id()["cart-offer"].variants == {"control": 1, "ten_off": 1}
            wait_for(lambda: ids(first) == ["cart-offer", "home-recs"])
            second.replace(ONE)  # home-recs removed
            wait_for(lambda: ids(first) == ["cart-offer"])
        # A restart seeding from the old file does not bring the removed experiment back.
        with pg_store(schema, seed=TWO) as restarted:
            assert ids(restarted) == ["cart-offer"]


@pytest.mark.integration
def test_a_replace_through_one_store_is_seen_by_another_and_bad_text_changes_nothing(
    schema: str,
) -> None:
    with pg_store(schema) as one, pg_store(schema) as other:
        assert ids(one) == ids(other) == []
        one.replace(TWO)
        assert ids(one) == ["cart-offer", "home-recs"]  # its own edit at once
        wait_for(lambda: ids(other) == ["cart-offer", "home-recs"])
        edited = TWO.replace("variants: {a: 3, b: 1}", "variants: {a: 1, b: 1, c: 1}")
        other.replace(edited)
        wait_for(lambda: list(one.current().by_id()["home-recs"].variants) == ["a", "b", "c"])
        with pytest.raises(InvalidConfigFile):
            one.replace(TWO.replace("control: 1", "control: -1"))
        time.sleep(0.2)
        assert one.current() == other.current() == parse_experiments(edited)


@pytest.fixture
def namespace() -> Iterator[Namespace]:
    with scaleout_namespace() as ns:
        yield ns


@contextlib.asynccontextmanager
async def serve(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    engine = Engine.from_settings(settings)
    keys, _ = KeyRing.from_settings(settings)
    app = create_app(engine, keys)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://shopstream.test"
        ) as http,
    ):
        yield http


@pytest.mark.integration
async def test_two_scaled_out_api_processes_share_one_definition(
    tmp_path: Path, namespace: Namespace
) -> None:
    """An edit through one API process changes the experiments, and the arms logged with
    decisions, in the other within about a second (its poll interval)."""

    def settings(name: str) -> Settings:
        config = tmp_path / name / "config"
        config.mkdir(parents=True)
        (config / "experiments.yaml").write_text(ONE)  # each process its own copy
        return Settings(
            data_dir=tmp_path / name / "data", decide_config_dir=config, collectors=0,
            write_keys=["test:wk_test"], server_keys=["sk_test"], admin_keys=["ak_test"],
            redis_url=REDIS_URL, postgres_url=POSTGRES_URL, partitions=4,
            redis_prefix=namespace.prefix, postgres_schema=namespace.schema,
        )  # fmt: skip

    async with serve(settings("a")) as a, serve(settings("b")) as b:

        async def listed(http: httpx.AsyncClient) -> list[str]:
            response = await http.get("/v1/experiments", headers=SERVER)
            return [e["id"] for e in response.json()["experiments"]]

        assert await listed(a) == await listed(b) == ["cart-offer"]
        bad = await a.put("/v1/experiments", content="experiments: [{id: x}]", headers=ADMIN)
        assert bad.status_code == 400
        assert bad.json()["field"].startswith("experiments.yaml:1: experiments.0")
        assert (await a.put("/v1/experiments", content=TWO, headers=SERVER)).status_code == 403
        nul = TWO.replace("{a: 3, b: 1}", '{a: 3, "b\\0": 1}')  # YAML's escape of a NUL
        bad = await a.put("/v1/experiments", content=nul, headers=ADMIN)
        assert bad.status_code == 400, bad.text
        assert bad.json()["field"] == "experiments.yaml:6: experiments.1"
        response = await a.put("/v1/experiments", content=TWO, headers=ADMIN)
        assert response.status_code == 200, response.text
        started = time.monotonic()
        while await listed(b) != ["cart-offer", "home-recs"]:
            assert time.monotonic() - started < 3, "b never saw a's edit"
            await asyncio.sleep(0.05)
        body = {"customer": {"type": "userId", "id": "u1"}, "placement": "home"}
        answer = (await b.post("/v1/decide", json=body, headers=SERVER)).json()
        # Read through the other process: there once b's writer has flushed (0.2 s).
        path = f"/v1/decisions/{answer['decisionId']}"
        started = time.monotonic()
        while (response := await a.get(path, headers=SERVER)).status_code == 404:
            assert time.monotonic() - started < 3, "b's decision never reached PostgreSQL"
            await asyncio.sleep(0.05)
        logged = response.json()
        arm = parse_experiments(TWO).by_id()["home-recs"].arm_of(answer["customerId"])
        assert logged["experiments"] == {"home-recs": arm}
