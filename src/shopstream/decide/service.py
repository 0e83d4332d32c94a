"""The request path of ``/v1/decide`` and ``Engine.decide()``: every eligible action, ranked.

Reads the state the stream processor keeps (configuration, segments, caps, budgets, the
bandit) and never writes it: a request is not in the log, so answering must not change
what a replay rebuilds. The bandit's randomness, if it has any, comes from a generator
seeded by the decision id.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from datetime import datetime

from shopstream.core import CustomerId
from shopstream.decide.chooser import context_features
from shopstream.decide.decision import Decision, DecisionId
from shopstream.decide.eligibility import Verdict
from shopstream.decide.live import LiveDecide
from shopstream.decide.ranking import Action

# Decision ids: a random prefix per process and a counter (os.urandom per request costs
# more than the rest of an answer's bookkeeping).
_PREFIX = os.urandom(10).hex()
_COUNTER = itertools.count()


@dataclass(frozen=True, slots=True)
class Ranked:
    """One eligible action of an answer, as ``/v1/decide`` shows it."""

    type: str
    id: str
    channel: str
    score: float
    propensity: float
    reason: str
    content: dict[str, object]
    discount: dict[str, object] | None


@dataclass(frozen=True, slots=True)
class Answer:
    decision: Decision
    actions: tuple[Ranked, ...]
    excluded: tuple[Verdict, ...]
    segments: tuple[str, ...]


def decide(
    state: LiveDecide,
    customer_id: CustomerId,
    *,
    placement: str,
    channel: str,
    now: datetime,
    limit: int | None = None,
) -> Answer:
    """The eligible offers for the customer on ``channel`` at ``now``, best first.

    ``excluded`` says why each other offer is not eligible (consent, caps, quiet hours,
    stock, budget, dates, suppression, its own eligibility rule).
    """
    config = state.config
    facts = state.facts(customer_id, now.timestamp(), None)
    verdicts = state.verdicts(config.offers.values(), (channel,), facts)
    eligible = [v for v in verdicts if v.eligible]
    excluded = tuple(v for v in verdicts if not v.eligible)
    decision_id = DecisionId(f"d_{_PREFIX}{next(_COUNTER):012x}")
    segments = tuple(state.segments_of(customer_id))
    if not eligible:
        return Answer(Decision(decision_id, (), "none"), (), excluded, segments)
    features = context_features(facts, channel)
    ranking = state.chooser.rank(features, [v.offer_id for v in eligible], seed=decision_id)
    actions: list[Action] = list(ranking.actions[:limit] if limit else ranking.actions)
    ranked = []
    for action in actions:
        offer = config.offers[action.arm]
        reason = action.reason
        if offer.eligibility:
            reason = f"eligible ({offer.eligibility}); {reason}"
        ranked.append(
            Ranked(
                str(offer.kind), offer.id, channel, action.score, action.propensity, reason,
                dict(offer.content),
                config.discounts[offer.id],
            )
        )  # fmt: skip
    decision = Decision(decision_id, tuple(actions), ranking.policy)
    return Answer(decision, tuple(ranked), excluded, segments)
