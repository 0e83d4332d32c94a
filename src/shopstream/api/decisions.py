"""``GET /v1/decisions/{decisionId}`` (server key): an answer as the decisions log keeps it."""

from __future__ import annotations

import asyncio
import re

from fastapi import APIRouter, Request

from shopstream.api.admin import require
from shopstream.api.auth import Scope
from shopstream.api.errors import ProblemError
from shopstream.api.responses import JSON
from shopstream.engine import Engine

router = APIRouter(prefix="/v1/decisions", tags=["decide"])
# Wider than the ids minted (``d_`` and hex), narrow enough that no store refuses it (a NUL).
_DECISION_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,256}$")


@router.get("/{decision_id}")
async def decision(request: Request, decision_id: str) -> JSON:
    """The decision's customer, placement (``trigger:<id>`` for a trigger's), channel, time,
    policy, context, experiment arms, and its actions with score, propensity and reason."""
    require(request, Scope.SERVER)
    if not _DECISION_ID.match(decision_id):
        msg = f"decisionId must be 1 to 256 letters, digits, '_', '.', ':' or '-'; got {decision_id!r}"
        raise ProblemError(400, "measure.invalid-decision-id", msg, field="decisionId")
    engine: Engine = request.app.state.engine
    logged = await asyncio.to_thread(engine.decision, decision_id)
    if logged is None:
        msg = f"no decision {decision_id!r} was logged"
        raise ProblemError(404, "measure.unknown-decision", msg, field="decisionId")
    return JSON({
        "decisionId": logged.decision_id,
        "customerId": logged.customer_id,
        "placement": logged.placement,
        "channel": logged.channel,
        "at": logged.at,
        "policy": logged.policy,
        "context": dict(logged.context),
        "experiments": dict(logged.experiments),
        "actions": [
            {"id": a.arm, "score": a.score, "propensity": a.propensity, "reason": a.reason}
            for a in logged.actions
        ],
    })  # fmt: skip
