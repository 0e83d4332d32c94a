"""Contextual bandits and baselines that rank arms, each answer with its propensities.

:class:`LinUCB` and :class:`LinearThompson` learn one linear model per arm over the context
vector (kept in :class:`RidgeArms`); :class:`EpsilonGreedy` (mean reward per arm) and
:class:`FixedRule` (a preference order) ignore the context and are the baselines. Every
policy follows :class:`~shopstream.decide.Policy` and saves its state with ``to_snapshot``
(JSON-able) and ``from_snapshot``. Needs numpy (``pip install 'shopstream[ml]'``).
"""

from __future__ import annotations

from shopstream.decide.policies.epsilon import EpsilonGreedy
from shopstream.decide.policies.linucb import LinUCB
from shopstream.decide.policies.ridge import RidgeArms
from shopstream.decide.policies.rule import FixedRule
from shopstream.decide.policies.thompson import LinearThompson

__all__ = ("EpsilonGreedy", "FixedRule", "LinUCB", "LinearThompson", "RidgeArms")
