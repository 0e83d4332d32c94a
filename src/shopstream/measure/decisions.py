"""The decisions log: every answer served, whole, readable back by its decision id.

An exposure (:mod:`.exposures`) is what a customer was shown, kept to join with outcomes. A
:class:`LoggedDecision` is the answer itself as the policy gave it: each action with its
score, reason and propensity, the policy, the experiment arms its customer was in, and what
the request was about (its context: the product or store of a placement, the event behind a
trigger). Decide answers, recommendations and triggered activations are all logged, under
the decision id their answer carries; a trigger's id is a function of its activation key, so
a replay logs the same decision again, and the first record is kept.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import orjson

from shopstream.core import CustomerId
from shopstream.decide import Action, ArmId, Decision, DecisionId


@dataclass(frozen=True, slots=True)
class LoggedDecision:
    """One answer: to whom, where (``placement``, or ``trigger:<id>``), on which channel.

    ``experiments`` maps each running experiment whose exposure covers the placement or
    trigger to the customer's arm in it.

    Examples:
        >>> from datetime import UTC, datetime
        >>> from shopstream.decide import Ranking
        >>> ranking = Ranking((Action(ArmId("10off"), 0.4, 0.9, "best mean"),), "linucb@1")
        >>> logged = LoggedDecision.of(
        ...     Decision.from_ranking(DecisionId("d1"), ranking), CustomerId("c1"),
        ...     placement="cart", channel="web", at=datetime(2026, 11, 26, tzinfo=UTC),
        ...     context={"productId": "p1"}, experiments={"cart-offer": "ten_off"})
        >>> logged.policy, logged.actions[0].propensity, logged.experiments
        ('linucb@1', 0.9, {'cart-offer': 'ten_off'})
    """

    decision_id: DecisionId
    customer_id: CustomerId
    placement: str
    channel: str
    actions: tuple[Action, ...]
    policy: str
    at: datetime
    context: Mapping[str, str] = field(default_factory=dict)
    experiments: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        decision: Decision,
        customer_id: CustomerId,
        *,
        placement: str,
        channel: str,
        at: datetime,
        context: Mapping[str, str] | None = None,
        experiments: Mapping[str, str] | None = None,
    ) -> LoggedDecision:
        return cls(
            decision.decision_id, customer_id, placement, channel, decision.actions,
            decision.policy, at, dict(context or {}), dict(experiments or {}),
        )  # fmt: skip


def ranked_in_order(
    items: Sequence[tuple[str, float, str]],
) -> tuple[Action, ...]:
    """A deterministic ranking's actions (id, score, reason), best first: the first is
    chosen with probability 1, the others with 0 (how a fixed ranking's propensities read)."""
    return tuple(
        Action(ArmId(arm), score, 1.0 if i == 0 else 0.0, reason)
        for i, (arm, score, reason) in enumerate(items)
    )


def actions_to_json(actions: Sequence[Action]) -> bytes:
    """Actions as the stores keep them: a JSON list of ``[arm, score, propensity, reason]``."""
    return orjson.dumps([[a.arm, a.score, a.propensity, a.reason] for a in actions])


def actions_from_json(data: bytes | str) -> tuple[Action, ...]:
    rows: list[list[Any]] = orjson.loads(data)
    return tuple(
        Action(ArmId(arm), float(score), float(p), reason) for arm, score, p, reason in rows
    )


class DecisionLog(Protocol):
    """Where decisions go. ``record`` only queues (it is on every answer's path); a decision
    id recorded again keeps its first record."""

    def record(self, decision: LoggedDecision) -> None: ...

    def flush(self) -> None:
        """Write everything queued so far."""
        ...

    def get(self, decision_id: str) -> LoggedDecision | None:
        """The decision logged under ``decision_id`` (what is queued included)."""
        ...


class MemoryDecisionLog:
    """:class:`DecisionLog` in memory, for an engine built without a backend."""

    def __init__(self) -> None:
        self._decisions: dict[str, LoggedDecision] = {}
        self._lock = threading.Lock()

    def record(self, decision: LoggedDecision) -> None:
        with self._lock:
            self._decisions.setdefault(decision.decision_id, decision)

    def flush(self) -> None:
        pass

    def get(self, decision_id: str) -> LoggedDecision | None:
        with self._lock:
            return self._decisions.get(decision_id)
