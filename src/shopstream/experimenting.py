"""Experiments over a live engine: the definitions (``experiments.yaml``, reloaded when the
file changes, or PostgreSQL's ``experiments`` table on scale-out), holdouts honoured at
delivery, and results analysed by exposure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shopstream.core import InvalidConfigFile
from shopstream.decide import Activation
from shopstream.measure import HOLDOUT
from shopstream.measure.experiment_config import (
    ExperimentsFile,
    ExperimentSpec,
    ExperimentStore,
    MemoryExperiments,
)
from shopstream.reporting import resolver

if TYPE_CHECKING:
    from shopstream.core import CustomerId
    from shopstream.engine import Engine

_PAGE = 5000


class ExperimentBook:
    """The experiments of a store (``experiments.yaml``, or PostgreSQL on scale-out), and the
    last good definitions while a file on disk is invalid."""

    def __init__(self, store: ExperimentStore | None = None) -> None:
        self.store: ExperimentStore = store if store is not None else MemoryExperiments()
        self._good = self.store.current()  # a broken file fails at start

    def current(self) -> ExperimentsFile:
        """The definitions; raises ``InvalidConfigFile`` (file, line, field) when the file
        was changed into something invalid."""
        self._good = self.store.current()
        return self._good

    def in_force(self) -> ExperimentsFile:
        """The definitions, or the last good ones while the file is invalid (never raises:
        deliveries and decisions go on until the file is fixed)."""
        try:
            return self.current()
        except InvalidConfigFile:
            return self._good

    def replace(self, text: str) -> ExperimentsFile:
        """Validate ``text`` and make it the definitions (raises ``InvalidConfigFile``)."""
        self._good = self.store.replace(text)
        return self._good

    def arms_of(self, customer_id: CustomerId, *, placement: str, at: datetime) -> dict[str, str]:
        """The customer's arm in each running experiment exposed at ``placement``."""
        return self.in_force().arms_of(customer_id, placement=placement, at=at)

    def holdout_check(self) -> Callable[[Activation], str | None]:
        """For the deliverer: why an activation is held back (its customer is in the holdout
        of an experiment on its trigger), or ``None``."""

        def held_out(activation: Activation) -> str | None:
            for spec in self.in_force().experiments:
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
