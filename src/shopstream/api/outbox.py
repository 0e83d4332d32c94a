"""The outbox for operators (admin key): what fired triggers wrote, and how delivery went."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from shopstream.api.admin import require
from shopstream.api.auth import Scope
from shopstream.api.responses import JSON
from shopstream.deliver import EntryStatus, OutboxEntry
from shopstream.engine import Engine

router = APIRouter(prefix="/v1", tags=["admin"])
_MAX_ID = 2**63 - 1


def entry_to_dict(entry: OutboxEntry) -> dict[str, Any]:
    a = entry.activation
    return {
        "id": entry.id,
        "key": a.key,
        "customerId": a.customer_id,
        "channel": a.channel,
        "kind": a.kind,
        "triggerId": a.trigger_id,
        "offerId": a.offer_id,
        "decisionId": a.decision_id,
        "payload": a.payload,
        "at": a.at,
        "status": entry.status,
        "attempts": entry.attempts,
        "dueAt": entry.due_at,
        "updatedAt": entry.updated_at,
        "lastError": entry.last_error,
    }


@router.get("/outbox")
async def outbox(
    request: Request,
    status: EntryStatus | None = None,
    after: Annotated[int, Query(ge=0, le=_MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> JSON:
    """Outbox entries after ``after`` in the order they were written, of one status or all;
    with the count of entries in each status."""
    require(request, Scope.ADMIN)
    engine: Engine = request.app.state.engine
    entries = await asyncio.to_thread(
        engine.outbox.entries, status=status, after=after, limit=limit
    )
    counts = await asyncio.to_thread(engine.outbox.counts)
    return JSON({
        "entries": [entry_to_dict(e) for e in entries],
        "counts": {str(k): v for k, v in counts.items()},
        "next": entries[-1].id if entries else after,
    })  # fmt: skip
