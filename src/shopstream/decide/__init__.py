"""Decide: the next best action, as a ranking of arms a policy chose with known propensities.

Here, numpy-free: the :class:`Policy` protocol (``choose`` / ``update`` / ``to_snapshot``),
what it answers (:class:`Ranking` of :class:`Action`, each with its score, reason and
propensity), the logged :class:`Decision`, and the errors. With numpy
(``pip install 'shopstream[ml]'``): the policies in :mod:`shopstream.decide.policies`
(``LinUCB``, ``LinearThompson``, ``EpsilonGreedy``, ``FixedRule``), the context vectors of
:mod:`shopstream.decide.features` (``FeatureSpec``), and the simulated offer world of
:mod:`shopstream.decide.simulation` (``OfferWorld``, ``play``) that tests and off-policy
evaluation use. Ad bids: :class:`Bidder` (``bid``) by :class:`BidRules`, reading segment
membership through the :class:`SegmentMembership` port.

Triggers and next-best actions: the YAML configuration (:mod:`shopstream.decide.config`),
the expression language of segments and conditions (:mod:`~shopstream.decide.expressions`),
eligibility, the stream processor :class:`~shopstream.decide.live.LiveDecide` and the
request path :func:`~shopstream.decide.service.decide`.
"""

from __future__ import annotations

from shopstream.decide.activation import Activation, ActivationSink, MemoryActivationSink
from shopstream.decide.bid_rules import BidRules, SignalBoost, TrendBoost
from shopstream.decide.bidding import Bid, Bidder, BidReason, BidRequest, segments_in
from shopstream.decide.decision import Decision, DecisionId
from shopstream.decide.errors import (
    DecideError,
    InvalidBidRules,
    InvalidConfig,
    InvalidContext,
    InvalidExpression,
    InvalidFeatures,
    InvalidParams,
    InvalidSnapshot,
    MissingExtra,
)
from shopstream.decide.live import LiveDecide
from shopstream.decide.membership import SegmentMembership, StaticSegments
from shopstream.decide.policy import Policy, Snapshot
from shopstream.decide.ranking import Action, ArmId, Ranking
from shopstream.decide.runtime import ConfigFiles, DecideRuntime
from shopstream.decide.service import Answer, Ranked, decide

__all__ = (
    "Action",
    "Activation",
    "ActivationSink",
    "Answer",
    "ArmId",
    "Bid",
    "BidReason",
    "BidRequest",
    "BidRules",
    "Bidder",
    "ConfigFiles",
    "DecideError",
    "DecideRuntime",
    "Decision",
    "DecisionId",
    "InvalidBidRules",
    "InvalidConfig",
    "InvalidContext",
    "InvalidExpression",
    "InvalidFeatures",
    "InvalidParams",
    "InvalidSnapshot",
    "LiveDecide",
    "MemoryActivationSink",
    "MissingExtra",
    "Policy",
    "Ranked",
    "Ranking",
    "SegmentMembership",
    "SignalBoost",
    "Snapshot",
    "StaticSegments",
    "TrendBoost",
    "decide",
    "segments_in",
)
