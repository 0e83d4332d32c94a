"""``shopstream evaluate``: tune every method on the validation split, run it on the test
split, and report; our blend's generators are tuned alone, then the blend's weights.

Nothing here touches the test split before a method's hyper-parameters are fixed.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Literal

from shopstream.recommend.blend import Blend
from shopstream.recommend.errors import FitFailed
from shopstream.recommend.evaluation.datasets import Dataset, load_online_retail, load_taobao
from shopstream.recommend.evaluation.report import MethodResult, Report
from shopstream.recommend.evaluation.runs import Task, record, request_count, run, score_fused
from shopstream.recommend.evaluation.suite import MethodSpec, Suite, retail_suite, taobao_suite
from shopstream.recommend.evaluation.tasks import (
    RETAIL_CUTOFF,
    RETAIL_VALIDATION_CUTOFF,
    next_basket_task,
    next_item_task,
)
from shopstream.recommend.evaluation.tuning import Params, coordinate_ascent
from shopstream.recommend.generator import CandidateGenerator

logger = logging.getLogger(__name__)

DatasetName = Literal["retail", "taobao"]
BLEND = "shopstream-blend"

_PROTOCOLS = {
    "retail": (
        "R",
        "Next basket on UCI Online Retail: train before 2011-11-01; target = the distinct "
        "StockCodes of each customer's first invoice from then on; candidates = every train "
        "StockCode; bought items not excluded; tuned on a 2011-10-01 cut-off of the data "
        "before 2011-11-01, then retrained on all of train.",
    ),
    "taobao": (
        "T",
        "Next item on the Taobao slice: cut at the timestamp of event floor(0.8 N); predict "
        "each test event whose shopper has an earlier event and whose item is in train, "
        "from the shopper's events before it; candidates = every train item; history not "
        "excluded; methods that learn online learn each test event after predicting it. "
        "Validation: the same protocol applied to the train part alone.",
    ),
}


@dataclass(frozen=True, slots=True)
class _Split:
    validation: Task
    test: Task
    validation_requests: int
    test_requests: int


def evaluate(
    dataset: DatasetName, data_dir: Path, *, quick: bool, progress: bool, command: str
) -> Report:
    """Run protocol R (``retail``) or T (``taobao``) for every method and report."""
    data, split = _load(dataset, data_dir)
    suite = retail_suite() if dataset == "retail" else taobao_suite()
    if quick:
        suite = suite.quick()
    protocol, description = _PROTOCOLS[dataset]
    results = _run_suite(suite, split, progress)
    counts = {
        "dataset": data.counts,
        "test split": {**split.test.counts, "predictions": split.test_requests},
        "validation split": {**split.validation.counts, "predictions": split.validation_requests},
    }
    return Report(
        dataset=dataset,
        protocol=protocol,
        description=description,
        command=command,
        quick=quick,
        counts=counts,
        methods=results,
        versions=_versions(),
        notes=_notes(dataset, quick),
    )


def _load(dataset: DatasetName, data_dir: Path) -> tuple[Dataset, _Split]:
    if dataset == "retail":
        data = load_online_retail(data_dir)
        test: Task = next_basket_task("R", data.interactions, RETAIL_CUTOFF)
        before = [i for i in data.interactions if i.at < RETAIL_CUTOFF.timestamp()]
        validation: Task = next_basket_task("R-validation", before, RETAIL_VALIDATION_CUTOFF)
    else:
        data = load_taobao(data_dir)
        test = next_item_task("T", data.interactions)
        validation = next_item_task("T-validation", test.train)
    split = _Split(validation, test, request_count(validation), request_count(test))
    return data, split


def _run_suite(suite: Suite, split: _Split, progress: bool) -> list[MethodResult]:
    chosen: dict[str, Params] = {}
    results = [_run_spec(spec, split, chosen, progress) for spec in suite.peers]
    components = [_run_spec(spec, split, chosen, progress) for spec in suite.components]
    results.insert(0, _run_blend(suite, split, chosen, progress))
    return results + components


def _run_spec(
    spec: MethodSpec, split: _Split, chosen: dict[str, Params], progress: bool
) -> MethodResult:
    result = MethodResult(spec.name, "ours, alone" if spec.role == "component" else "peer")
    started = time.perf_counter()
    failed: list[str] = []

    def objective(params: Params) -> float:
        try:
            return run(
                spec.build(params, chosen),
                split.validation,
                desc=f"tune {spec.name} {params}",
                progress=progress,
                total=split.validation_requests,
            )["ndcg@20"]
        except FitFailed as exc:  # a diverged setting is never chosen
            failed.append(repr(params))
            logger.warning("%s: %s", spec.name, exc.message)
            return -math.inf

    try:
        search = coordinate_ascent(objective, spec.grid)
        chosen[spec.name] = search.best
        result.params, result.validation_ndcg20 = search.best, search.score
        result.trials = search.trials
        result.metrics = run(
            spec.build(search.best, chosen),
            split.test,
            desc=f"test {spec.name}",
            progress=progress,
            total=split.test_requests,
        )
    except ImportError as exc:
        result.note = f"cannot run: {exc} (pip install 'shopstream[ml]')"
        logger.warning("%s cannot run: %s", spec.name, exc)
    except FitFailed as exc:
        result.note = f"cannot run: the chosen setting failed to train on all of train: {exc}"
        logger.warning("%s: %s", spec.name, exc)
    if failed:
        diverged = "settings that failed to train (skipped): " + ", ".join(failed)
        result.note = f"{result.note}; {diverged}" if result.note else diverged
    result.seconds = time.perf_counter() - started
    logger.info("%s: %s", spec.name, result.metrics)
    return result


def _run_blend(
    suite: Suite, split: _Split, chosen: Mapping[str, Params], progress: bool
) -> MethodResult:
    """Our blend: the tuned generators (and the tuned EASE), weights tuned on recorded
    validation answers, then refitted on all of train and run on the test split."""
    result = MethodResult(BLEND, "ours")
    started = time.perf_counter()
    specs = {spec.name: spec for spec in (*suite.components, *suite.peers) if spec.name in chosen}
    names = [spec.name for spec in suite.components if spec.name in chosen]
    if "ease" in chosen:
        names.append("ease")

    def generators() -> dict[str, CandidateGenerator]:
        return {name: specs[name].build(chosen[name], chosen) for name in names}

    recorded = record(
        Blend(generators=generators(), weights=dict.fromkeys(names, 1.0)),
        split.validation,
        desc="record blend answers",
        progress=progress,
        total=split.validation_requests,
    )
    candidates = len(split.validation.candidates)
    objective: Callable[[Params], float] = lambda weights: score_fused(  # noqa: E731
        recorded,
        {n: float(w) for n, w in weights.items()},
        candidates,  # type: ignore[arg-type]
    )["ndcg@20"]
    search = coordinate_ascent(
        objective, {name: suite.blend_weights for name in names}, rounds=suite.blend_rounds
    )
    weights = {name: float(w) for name, w in search.best.items()}  # type: ignore[arg-type]
    blend = Blend(generators=generators(), weights=weights)
    result.metrics = run(
        blend, split.test, desc=f"test {BLEND}", progress=progress, total=split.test_requests
    )
    result.params = {"weights": weights, **{name: chosen[name] for name in names}}
    result.validation_ndcg20, result.trials = search.score, search.trials
    result.seconds = time.perf_counter() - started
    return result


def _versions() -> dict[str, str]:
    found = {}
    for package in ("shopstream", "numpy", "scipy", "implicit"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def _notes(dataset: DatasetName, quick: bool) -> list[str]:
    notes = [
        "Every figure is measured on the test split after tuning on the validation split; "
        "'ours, alone' rows are the blend's generators run by themselves.",
        "Peers are padded with the tuned most-popular ranking when they run short; "
        "implicit ALS and BPR answer a shopper seen in training with nothing newer from the "
        "trained factors; otherwise ALS folds the history in (recalculate_user) and BPR "
        "uses the mean factors of the history's items.",
        "Latency is one in-process recommend() call for one request, on this machine.",
    ]
    if dataset == "retail":
        notes.append(
            "Local invoice times are read as UTC; fully duplicated rows are kept (the protocol does not drop them)."
        )
    if quick:
        notes.append(
            "--quick: each method runs with the first value of its grid only; figures are real, tuning is not."
        )
    return notes
