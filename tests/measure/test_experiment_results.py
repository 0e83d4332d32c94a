"""``GET /v1/experiments/{id}/results`` against scipy and statsmodels on the same data.

300 simulated customers, each exposed to a cart-abandon activation at a known time, in the
arm :func:`assign` gives them (with a 20% holdout); some ordered in the two weeks before
(CUPED's covariate), some after (more often in ``ten_off``), with one or more items. The
orders go in through ``/v1/batch``; the activations are in the outbox. Every figure of
the answer is recomputed here from the generated data with scipy/statsmodels/numpy.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportions_ztest

from shopstream import Engine, Settings
from shopstream.api import KeyRing, create_app
from shopstream.core import CustomerId, Offset
from shopstream.decide import Activation
from shopstream.events import Identifier, IdType
from shopstream.identity import canonical_id
from shopstream.measure.experiment_config import parse_experiments
from shopstream.measure.experiments import subjects
from shopstream.measure.outcomes import MeasuredEvent

START, END = datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC)
EXPERIMENTS = """\
experiments:
  - id: cart-offer
    salt: s1
    variants: {control: 1, ten_off: 1}
    holdout: 0.2
    start: 2026-11-20T00:00:00Z
    end: 2026-11-23T00:00:00Z
    exposure: {triggers: [cart-abandon]}
    covariate_days: 14
    look_hours: 12
    tau_conversion: 0.05
    tau_revenue: 10
"""
SPEC = parse_experiments(EXPERIMENTS).experiments[0]
CONVERT = {"control": 0.3, "ten_off": 0.45, "holdout": 0.25}
N = 300


@dataclass
class Shopper:
    customer_id: CustomerId
    user_id: str
    arm: str
    exposed_at: datetime
    before: list[tuple[datetime, float, int]] = field(default_factory=list)
    after: list[tuple[datetime, float, int]] = field(default_factory=list)


def simulate() -> list[Shopper]:
    rng = random.Random(11)
    shoppers = []
    for i in range(N):
        customer = canonical_id(Identifier(IdType.USER_ID, f"u{i}"))
        exposed = START + timedelta(hours=1, minutes=13 * i)
        s = Shopper(customer, f"u{i}", SPEC.arm_of(customer), exposed)
        base = 0.0
        if rng.random() < 0.6:
            base = rng.uniform(10, 120)
            s.before.append((exposed - timedelta(days=rng.uniform(1, 12)), base, 1))
        if rng.random() < CONVERT[s.arm]:
            for _ in range(1 + (rng.random() < 0.25)):
                at = min(
                    exposed + timedelta(hours=rng.uniform(0.5, 30)), END - timedelta(minutes=1)
                )
                s.after.append((at, round(0.6 * base + rng.uniform(15, 90), 2),
                                rng.choice([1, 1, 2, 3])))  # fmt: skip
        shoppers.append(s)
    return shoppers


def order_event(s: Shopper, n: int, at: datetime, revenue: float, quantity: int) -> dict[str, Any]:
    return {"type": "track", "userId": s.user_id, "event": "Order Completed",
            "timestamp": at.isoformat(), "messageId": f"{s.user_id}-o{n}",
            "properties": {"order_id": f"{s.user_id}-o{n}", "total": revenue,
                           "products": [{"product_id": "p1", "quantity": quantity,
                                         "price": revenue / quantity}]}}  # fmt: skip


@pytest.fixture
async def experiment_client(
    tmp_path: Path, settings: Settings
) -> AsyncIterator[tuple[httpx.AsyncClient, Engine]]:
    config = tmp_path / "config"
    config.mkdir()
    (config / "experiments.yaml").write_text(EXPERIMENTS)
    settings = settings.model_copy(update={
        "write_keys": ["test:wk"], "server_keys": ["sk"], "admin_keys": ["ak"],
        "decide_config_dir": config, "deliver": False,
    })  # fmt: skip
    engine = Engine.from_settings(settings)
    app = create_app(engine, KeyRing.from_settings(settings)[0])
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        yield http, engine


async def load(http: httpx.AsyncClient, engine: Engine, shoppers: list[Shopper]) -> None:
    events = []
    for s in shoppers:
        for n, (at, revenue, quantity) in enumerate(s.before + s.after):
            events.append(order_event(s, n, at, revenue, quantity))
    for start in range(0, len(events), 100):
        sent = await http.post("/v1/batch", json={"batch": events[start:start + 100]},
                               auth=("wk", ""))  # fmt: skip
        assert sent.status_code == 200, sent.text
    engine.outbox.put([
        Activation(f"x{s.user_id}", s.customer_id, "email", "message", "cart-abandon", None,
                   f"d{s.user_id}", {}, s.exposed_at) for s in shoppers
    ] + [  # a second exposure changes nothing; one before the start does not count
        Activation(f"y{s.user_id}", s.customer_id, "email", "message", "cart-abandon", None,
                   "d", {}, s.exposed_at + timedelta(hours=3)) for s in shoppers[:20]
    ])  # fmt: skip
    wide = (START - timedelta(days=30), END + timedelta(days=1))
    for _ in range(300):
        if len(engine.outcomes.between(*wide)) == len(events):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the orders were not processed")


def arm_data(shoppers: list[Shopper], arm: str) -> dict[str, Any]:
    group = [s for s in shoppers if s.arm == arm]
    y = np.array([sum(r for _, r, _ in s.after) for s in group])
    x = np.array([sum(r for at, r, _ in s.before if at >= s.exposed_at - timedelta(days=14))
                  for s in group])  # fmt: skip
    orders = [(r, q) for s in group for _, r, q in s.after]
    return {"group": group, "n": len(group), "y": y, "x": x,
            "converted": sum(1 for s in group if s.after), "orders": orders}  # fmt: skip


def msprt_p(a: list[Shopper], b: list[Shopper], tau: float) -> float:
    """The always-valid p-value of the conversion difference, looked at every 12 hours."""
    p = 1.0
    for k in range(1, 7):
        moment = START + timedelta(hours=12 * k)
        seen = [[s for s in arm if s.exposed_at < moment] for arm in (a, b)]
        if min(len(g) for g in seen) < 2:
            continue
        rates = [sum(1 for s in g if any(at < moment for at, _, _ in s.after)) / len(g)
                 for g in seen]  # fmt: skip
        variance = sum(r * (1 - r) / len(g) for r, g in zip(rates, seen, strict=True))
        if variance == 0:
            continue
        d = rates[1] - rates[0]
        ratio = math.sqrt(variance / (variance + tau**2)) * math.exp(
            d**2 * tau**2 / (2 * variance * (variance + tau**2))
        )
        p = min(p, 1 / ratio)
    return p


@pytest.mark.parametrize("backend", ["embedded", "scaleout"], indirect=True)
async def test_results_match_scipy_and_statsmodels(
    experiment_client: tuple[httpx.AsyncClient, Engine],
) -> None:
    http, engine = experiment_client
    shoppers = simulate()
    await load(http, engine, shoppers)
    answer = await http.get("/v1/experiments/cart-offer/results",
                            params={"at": "2026-11-24T00:00:00Z"},
                            headers={"Authorization": "Bearer sk"})  # fmt: skip
    assert answer.status_code == 200, answer.text
    body = answer.json()
    arms = {a["arm"]: a for a in body["arms"]}
    data = {arm: arm_data(shoppers, arm) for arm in ("control", "ten_off", "holdout")}

    for arm, d in data.items():
        assert arms[arm]["customers"] == d["n"]
        assert arms[arm]["converters"] == d["converted"]
        assert arms[arm]["revenuePerCustomer"] == pytest.approx(d["y"].mean())
        revenue = sum(r for r, _ in d["orders"])
        assert arms[arm]["aov"] == pytest.approx(revenue / len(d["orders"]))
        attach = sum(1 for _, q in d["orders"] if q >= 2) / len(d["orders"])
        assert arms[arm]["attachRate"] == pytest.approx(attach)

    observed = [data[a]["n"] for a in ("control", "ten_off", "holdout")]
    chi2, p = stats.chisquare(observed, f_exp=[N * 0.4, N * 0.4, N * 0.2])
    assert (body["srm"]["chi2"], body["srm"]["pValue"]) == pytest.approx((chi2, p))

    a, b = data["control"], data["ten_off"]
    [ten_off] = [c for c in body["comparisons"] if c["arm"] == "ten_off"]
    z, p = proportions_ztest([b["converted"], a["converted"]], [b["n"], a["n"]])
    assert (ten_off["conversion"]["z"], ten_off["conversion"]["pValue"]) == pytest.approx((z, p))

    welch = stats.ttest_ind(b["y"], a["y"], equal_var=False)
    ci = welch.confidence_interval(0.95)
    rpc = ten_off["revenuePerCustomer"]
    assert (rpc["t"], rpc["pValue"]) == pytest.approx((welch.statistic, welch.pvalue))
    assert (rpc["low"], rpc["high"]) == pytest.approx((ci.low, ci.high))

    y, x = np.concatenate([a["y"], b["y"]]), np.concatenate([a["x"], b["x"]])
    theta = np.cov(y, x, ddof=1)[0, 1] / np.var(x, ddof=1)
    adjust = lambda d: d["y"] - theta * (d["x"] - x.mean())  # noqa: E731
    adjusted = stats.ttest_ind(adjust(b), adjust(a), equal_var=False)
    cuped = ten_off["revenuePerCustomerCuped"]
    assert cuped["theta"] == pytest.approx(theta)
    assert cuped["pValue"] == pytest.approx(adjusted.pvalue)
    pooled = np.concatenate([adjust(a), adjust(b)])
    assert cuped["varianceReduction"] == pytest.approx(1 - pooled.var(ddof=1) / y.var(ddof=1))
    assert cuped["varianceReduction"] > 0  # the covariate explains part of the revenue

    aov = stats.ttest_ind([r for r, _ in b["orders"]], [r for r, _ in a["orders"]],
                          equal_var=False)  # fmt: skip
    assert ten_off["aov"]["pValue"] == pytest.approx(aov.pvalue)
    _, attach_p = proportions_ztest(
        [sum(1 for _, q in b["orders"] if q >= 2), sum(1 for _, q in a["orders"] if q >= 2)],
        [len(b["orders"]), len(a["orders"])],
    )
    assert ten_off["attachRate"]["pValue"] == pytest.approx(attach_p)

    sequential = ten_off["sequential"]["conversion"]
    assert sequential["pValue"] == pytest.approx(msprt_p(a["group"], b["group"], 0.05))
    assert sequential["looks"] == 6

    [holdout] = [c for c in body["comparisons"] if c["arm"] == "holdout"]
    h = data["holdout"]
    _, p = proportions_ztest([h["converted"], a["converted"]], [h["n"], a["n"]])
    assert holdout["conversion"]["pValue"] == pytest.approx(p)


@pytest.mark.parametrize("backend", ["embedded", "scaleout"], indirect=True)
async def test_unknown_experiment_and_bad_time_are_4xx(
    experiment_client: tuple[httpx.AsyncClient, Engine],
) -> None:
    http, _ = experiment_client
    headers = {"Authorization": "Bearer sk"}
    missing = await http.get("/v1/experiments/nope/results", headers=headers)
    assert (missing.status_code, missing.json()["field"]) == (404, "experimentId")
    bad = await http.get("/v1/experiments/cart-offer/results?at=tomorrow", headers=headers)
    assert (bad.status_code, bad.json()["field"]) == (400, "query.at")
    listed = (await http.get("/v1/experiments", headers=headers)).json()
    assert [e["id"] for e in listed["experiments"]] == ["cart-offer"]
    empty = (await http.get("/v1/experiments/cart-offer/results", headers=headers)).json()
    assert [a["customers"] for a in empty["arms"]] == [0, 0, 0]
    assert "unavailable" in empty["srm"]


def test_the_order_that_fired_the_trigger_is_before_the_treatment_not_its_outcome() -> None:
    who, exposed = CustomerId("c-firing"), START + timedelta(hours=1)

    def order(minutes: int, revenue: float, order_id: str) -> MeasuredEvent:
        return MeasuredEvent(Offset(minutes + 100), who, "Order Completed", "web",
                             exposed + timedelta(minutes=minutes), revenue, order_id)  # fmt: skip

    events = [order(-30, 5.0, "earlier"), order(0, 40.0, "firing"), order(10, 12.0, "after")]
    [subject] = subjects(SPEC, {who: exposed}, events, now=END)
    assert [o.revenue for o in subject.orders] == [12.0]
    assert subject.revenue_before == 45.0
