"""Experiments over a live engine: the definitions in ``experiments.yaml`` (reloaded when the
file changes), holdouts honoured at delivery, and results analysed by exposure."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shopstream.core import InvalidConfigFile
from shopstream.decide import Activation
from shopstream.measure import HOLDOUT
from shopstream.measure.experiment_config import (
    ExperimentsFile,
    ExperimentSpec,
    load_experiments,
)
from shopstream.reporting import resolver

if TYPE_CHECKING:
    from shopstream.core import CustomerId
    from shopstream.engine import Engine

_PAGE = 5000


class ExperimentBook:
    """The experiments of ``path``, read again whenever the file changes on disk."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._file = ExperimentsFile()
        self.current()  # a broken file fails at start

    def current(self) -> ExperimentsFile:
        """The definitions; raises ``InvalidConfigFile`` (file, line, field) when the file
        was changed into something invalid."""
        if self._path is None:
            return self._file
        with self._lock:
            try:
                stat = self._path.stat()
                stamp = (stat.st_mtime_ns, stat.st_size)
            except FileNotFoundError:
                stamp = None
            if stamp != self._stamp:
                self._file = load_experiments(self._path)
                self._stamp = stamp
            return self._file

    def holdout_check(self) -> Callable[[Activation], str | None]:
        """For the deliverer: why an activation is held back (its customer is in the holdout
        of an experiment on its trigger), or ``None``."""

        def held_out(activation: Activation) -> str | None:
            try:
                book = self.current()
            except InvalidConfigFile:
                book = self._file  # the last good definitions, until the file is fixed
            for spec in book.experiments:
                if (
                    spec.holdout
                    and activation.trigger_id in spec.exposure.triggers
                    and spec.start <= activation.at
                    and (spec.end is None or activation.at < spec.end)
                    and spec.arm_of(activation.customer_id) == HOLDOUT
                ):
                    return f"held out by experiment {spec.id}"
            return None

        return held_out


def first_exposures(
    engine: Engine, spec: ExperimentSpec, now: datetime
) -> dict[CustomerId, datetime]:
    """Each customer's first exposure to ``spec`` in its window, under today's ids."""
    resolve = resolver(engine.graph)
    end = min(spec.end or now, now)
    found: dict[CustomerId, datetime] = {}

    def saw(customer_id: CustomerId, at: datetime) -> None:
        if spec.start <= at < end:
            customer = resolve(customer_id)
            if customer not in found or at < found[customer]:
                found[customer] = at

    triggers = set(spec.exposure.triggers)
    if triggers:
        after = 0
        while True:
            page = engine.outbox.entries(after=after, limit=_PAGE)
            for entry in page:
                if entry.activation.trigger_id in triggers:
                    saw(entry.activation.customer_id, entry.activation.at)
            if len(page) < _PAGE:
                break
            after = page[-1].id
    placements = set(spec.exposure.placements)
    if placements and engine.exposures is not None:
        for exposure in engine.exposures.between(spec.start, end):
            if exposure.placement in placements:
                saw(exposure.customer_id, exposure.at)
    return found


def results(engine: Engine, spec: ExperimentSpec, now: datetime) -> dict[str, Any]:
    """``spec``'s results as of ``now`` (see :mod:`shopstream.measure.experiments`)."""
    from shopstream.measure.experiments import analyze  # numpy and scipy: the ml extra

    exposures = first_exposures(engine, spec, now)
    resolve = resolver(engine.graph)
    end = min(spec.end or now, now)
    start = spec.start - timedelta(days=spec.covariate_days)
    events = [replace(e, customer_id=resolve(e.customer_id))
              for e in engine.outcomes.between(start, end)]  # fmt: skip
    return analyze(spec, exposures, events, now=now)
