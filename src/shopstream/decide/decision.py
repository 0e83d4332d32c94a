"""A logged decision: the answer to one request, with its propensities and provenance."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NewType

from shopstream.decide.ranking import Action, Ranking

DecisionId = NewType("DecisionId", str)


@dataclass(frozen=True, slots=True)
class Decision:
    """Actions best first, each with its reason and propensity, and the policy that chose.

    Examples:
        >>> from shopstream.decide.ranking import ArmId
        >>> ranking = Ranking((Action(ArmId("bundle"), 0.3, 0.8, "best mean"),), "epsilon-greedy@2")
        >>> decision = Decision.from_ranking(DecisionId("d1"), ranking)
        >>> decision.policy, decision.actions[0].propensity
        ('epsilon-greedy@2', 0.8)
    """

    decision_id: DecisionId
    actions: tuple[Action, ...]
    policy: str

    @classmethod
    def from_ranking(cls, decision_id: DecisionId, ranking: Ranking) -> Decision:
        return cls(decision_id, ranking.actions, ranking.policy)
