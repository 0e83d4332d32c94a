"""The live recommender: tuned weights from the evaluation's report, EASE retrained on the
stream with the request's history folded in, upserted products queued for embeddings, and
all of it through a snapshot."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shopstream import Engine, Settings
from shopstream.catalog import Product, product_to_dict
from shopstream.core import CustomerId, Offset, ProductId
from shopstream.events import ADMIN_SOURCE, ADMIN_USER, AdminEvent, parse_message
from shopstream.recommend import Behaviour, Interaction, InvalidRecommenderParams, LiveRecommender
from shopstream.recommend.background import refit_once
from shopstream.recommend.collaborative import LiveEASE
from shopstream.recommend.weights import HAND_SET, from_report, load_weights, write_weights

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results"
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def _report(weights: dict[str, float]) -> dict[str, object]:
    return {
        "dataset": "taobao",
        "command": "shopstream evaluate --dataset taobao",
        "methods": [
            {"name": "most-popular", "params": {}},
            {"name": "shopstream-blend",
             "params": {"weights": weights, "ease": {"l2": 250.0, "max_items": 15000,
                                                     "history_half_life": 60.0}}},
        ],
    }  # fmt: skip


def test_the_tuned_weights_map_onto_the_live_generators() -> None:
    tuned = from_report(_report({"own-history": 8.0, "co-visitation": 2.0, "trending": 0.1}))
    assert tuned.weights == {"covisit": 2.0, "own": 8.0, "category": 0.0, "trending": 0.1,
                             "ease": 0.0}  # fmt: skip
    assert tuned.ease == {"l2": 250.0, "history_half_life": 60.0}
    assert tuned.store_trending == HAND_SET.store_trending
    assert tuned.source == "shopstream evaluate --dataset taobao"


def test_a_report_without_a_tuned_blend_is_refused() -> None:
    with pytest.raises(InvalidRecommenderParams) as caught:
        from_report({"methods": [{"name": "most-popular", "params": {}}]})
    assert caught.value.field == "methods"


def test_the_committed_reports_give_weights_files_that_load(tmp_path: Path) -> None:
    for dataset in ("retail", "taobao"):
        report = json.loads((RESULTS / f"evaluate-{dataset}.json").read_text())
        tuned = from_report(report)
        assert load_weights(write_weights(tmp_path / f"{dataset}.json", tuned)) == tuned
        committed = load_weights(RESULTS / f"recommend-weights-{dataset}.json")
        assert committed.weights == tuned.weights


def test_a_weights_file_naming_an_unknown_generator_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "w.json"
    path.write_text(json.dumps({"weights": {"covisit": 1.0, "magic": 2.0}}))
    with pytest.raises(InvalidRecommenderParams, match="magic") as caught:
        load_weights(path)
    assert caught.value.field == "weights"
    path.write_text(json.dumps({"weights": {"covisit": -1.0}}))
    with pytest.raises(InvalidRecommenderParams):
        load_weights(path)
    path.write_text("not json")
    with pytest.raises(InvalidRecommenderParams) as unreadable:
        load_weights(path)
    assert unreadable.value.field == "recommend_weights"


def _orders(model: LiveEASE | LiveRecommender) -> None:
    baskets = {f"c{i}": ("kettle", "teapot") for i in range(20)}
    baskets |= {f"d{i}": ("tent", "stove") for i in range(20)}
    for who, items in baskets.items():
        for item in items:
            interaction = Interaction(CustomerId(who), ProductId(item), Behaviour.ORDER, 0.0)
            if isinstance(model, LiveEASE):
                model.partial_fit(interaction)
            else:
                model.blend.partial_fit(interaction)


def test_live_ease_answers_after_its_background_fit_and_folds_in_the_latest_view() -> None:
    model = LiveEASE(l2=1.0, min_interactions=10)
    history = [Interaction(CustomerId("new"), ProductId("tent"), Behaviour.VIEW, 5.0)]
    assert model.recommend(history, k=1) == []  # nothing trained yet
    _orders(model)
    assert asyncio.run(refit_once(model))
    assert model.since_fit == 0
    assert [s.product_id for s in model.recommend(history, k=1)] == ["stove"]
    # The shopper's next view changes the answer with no retraining.
    history.append(Interaction(CustomerId("new"), ProductId("kettle"), Behaviour.CART, 6.0))
    assert model.recommend(history, k=1)[0].product_id == "teapot"


def test_live_ease_waits_for_enough_interactions() -> None:
    model = LiveEASE(min_interactions=1_000)
    _orders(model)
    assert not model.refit()
    assert not model.fitted


def test_the_live_recommender_takes_configured_weights_over_saved_ones() -> None:
    tuned = from_report(_report({"own-history": 8.0, "co-visitation": 2.0, "ease": 2.0}))
    saved = LiveRecommender()
    _orders(saved)
    restored = LiveRecommender(weights=tuned)
    restored.load(saved.dump())
    assert dict(restored.blend.weights) == dict(tuned.weights)
    # EASE takes the configured parameters and keeps the saved window to train on.
    assert restored.ease is not None
    assert (restored.ease.l2, restored.ease.history_half_life) == (250.0, 60.0)
    assert len(restored.ease.snapshot()) == 80


def test_upserted_products_are_queued_for_their_embeddings_and_saved() -> None:
    live = LiveRecommender()
    raw = {"type": "track", "userId": ADMIN_USER, "messageId": "admin-1",
           "event": str(AdminEvent.PRODUCTS_UPSERTED),
           "properties": {"products": [product_to_dict(
               Product(ProductId("p1"), "Red Kettle", ("Home", "Kitchen"), brand="Brew"))]}}  # fmt: skip
    live.apply([(Offset(1), parse_message(raw, source=ADMIN_SOURCE, received_at=NOW))])
    assert live.content.take(5) == [("p1", "Red Kettle. Brew. Home > Kitchen")]
    assert len(live.content) == 0  # encoded later, off the event loop
    restored = LiveRecommender()
    restored.load(live.dump())
    assert restored.content.pending == 1
    assert restored.offset == 1


@pytest.mark.parametrize("backend", ["embedded", "scaleout"], indirect=True)
def test_shopstream_weights_writes_the_file_the_engine_loads(
    tmp_path: Path, settings: Settings
) -> None:
    from typer.testing import CliRunner

    from shopstream.cli import app

    out = tmp_path / "weights.json"
    report = RESULTS / "evaluate-taobao.json"
    done = CliRunner().invoke(app, ["weights", "--report", str(report), "--out", str(out)])
    assert done.exit_code == 0, done.output
    engine = Engine.from_settings(settings.model_copy(update={"recommend_weights": out}))
    try:
        assert dict(engine.recommender.blend.weights) == {
            "covisit": 2.0, "own": 8.0, "category": 1.0, "trending": 0.1, "ease": 2.0,
        }  # fmt: skip
        assert engine.recommender.ease is not None
        assert engine.recommender.ease.history_half_life == 60.0
    finally:
        asyncio.run(engine.close())
    bad = CliRunner().invoke(app, ["weights", "--report", str(out), "--out", str(out)])
    assert bad.exit_code == 2
