"""``POST /v1/decide`` (server key) and ``GET/PUT /v1/config/{kind}`` (admin key)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from shopstream.api.admin import require
from shopstream.api.auth import Scope
from shopstream.api.body import read_yaml_text
from shopstream.api.errors import ProblemError
from shopstream.api.recommendations import RecommendContext
from shopstream.api.responses import JSON
from shopstream.api.shoppers import CustomerRef, shopper_of
from shopstream.decide import InvalidConfig
from shopstream.decide.config import check_kind
from shopstream.engine import Engine
from shopstream.recommend import Placement

router = APIRouter(prefix="/v1", tags=["decide"])
_MAX_CONFIG_BYTES = 512 * 1024


class DecideIn(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)

    customer: CustomerRef
    placement: Placement
    channel: Literal[
        "web", "app", "store", "pos", "email", "sms", "push", "ads", "server", "associate"
    ] = "web"
    context: RecommendContext = Field(default_factory=RecommendContext)
    limit: int | None = Field(default=None, ge=1, le=100)


@router.post("/decide")
async def decide(request: Request, body: DecideIn) -> JSON:
    """The eligible actions ranked, each with its reason and propensity, and why the others
    are not eligible."""
    require(request, Scope.SERVER)
    engine: Engine = request.app.state.engine
    customer_id = shopper_of(engine, body.customer, "decide.customer")
    context = {k: v for k, v in body.context.model_dump().items() if v is not None}
    answer = engine.decide(
        customer_id, placement=body.placement.value, channel=body.channel, limit=body.limit,
        context=context,
    )  # fmt: skip
    return JSON({
        "decisionId": answer.decision.decision_id,
        "customerId": customer_id,
        "placement": body.placement.value,
        "policy": answer.decision.policy,
        "actions": [
            {"type": a.type, "id": a.id, "channel": a.channel, "reason": a.reason,
             "propensity": a.propensity, "score": a.score, "content": a.content,
             "discount": a.discount}
            for a in answer.actions
        ],
        "excluded": [{"id": v.offer_id, "reason": v.reason} for v in answer.excluded],
        "segments": list(answer.segments),
    })  # fmt: skip


def _runtime(request: Request, kind: str) -> Engine:
    require(request, Scope.ADMIN)
    check_kind(kind)
    engine: Engine = request.app.state.engine
    if engine.decide_runtime is None:
        raise ProblemError(404, "decide.no-config", "this engine has no configuration directory")
    return engine


@router.get("/config/{kind}")
async def get_config(request: Request, kind: str) -> JSON:
    """The YAML in force for ``kind`` and its validated entries."""
    engine = _runtime(request, kind)
    runtime = engine.decide_runtime
    assert runtime is not None
    error = runtime.last_error
    return JSON({
        "kind": kind,
        "yaml": runtime.text(kind),
        "items": engine.decide_state.config.items(kind),
        "file": runtime.files.name(kind),
        "fileError": str(error) if error is not None else None,
    })  # fmt: skip


@router.put("/config/{kind}")
async def put_config(request: Request, kind: str) -> JSON:
    """Replace ``kind``'s YAML (the request body, as text); 400 names file, line and field."""
    engine = _runtime(request, kind)
    runtime = engine.decide_runtime
    assert runtime is not None
    text = await read_yaml_text(
        request, _MAX_CONFIG_BYTES, what="configuration",
        too_large="decide.config-too-large", invalid="decide.invalid-config",
    )  # fmt: skip
    try:
        config = await runtime.put(kind, text)
    except InvalidConfig as exc:
        raise ProblemError(
            400, exc.code, exc.message, field=exc.field, file=exc.file, line=exc.line
        ) from None
    return JSON({"kind": kind, "yaml": text, "items": config.items(kind)})


@router.get("/decide/stats")
async def stats(request: Request) -> JSON:
    """Why triggers fired or not since the server started, by trigger and reason; timers
    armed; segment sizes and the latest entries and exits (admin key)."""
    require(request, Scope.ADMIN)
    state = request.app.state.engine.decide_state
    return JSON({
        "triggers": dict(sorted(state.stats.items())),
        "timersArmed": len(state.timers),
        "segments": {s: len(m) for s, m in sorted(state.members.items())},
        "segmentChanges": [
            {"at": at, "customerId": c, "segment": s, "change": change}
            for at, c, s, change in reversed(state.transitions)
        ],
        "clock": state.clock,
    })  # fmt: skip
