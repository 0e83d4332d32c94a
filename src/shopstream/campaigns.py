"""What the marketers' actions are doing, for the dashboard: each trigger (why it fired or
not, and how its activations are being delivered), each offer (budget spent, sends, what
attribution credits it with), each experiment's results and attribution by channel.

It reads what decide, deliver and measure already keep; nothing here is stored.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shopstream.deliver import EntryStatus
from shopstream.experimenting import results
from shopstream.measure import model_named
from shopstream.reporting import Reports, Window

if TYPE_CHECKING:
    from shopstream.engine import Engine

_PAGE = 1000
FIRED = "fired"


def trigger_reasons(stats: Counter[str]) -> dict[str, Counter[str]]:
    """Decide's counters (``"<trigger>: <reason>"``) split per trigger into reasons."""
    by_trigger: dict[str, Counter[str]] = defaultdict(Counter)
    for key, count in stats.items():
        trigger, _, reason = key.partition(": ")
        by_trigger[trigger][reason or "unknown"] += count
    return by_trigger


def outbox_tallies(engine: Engine) -> tuple[dict[str, Counter[str]], dict[str, Counter[str]]]:
    """Outbox entries counted by status, per trigger and per offer."""
    by_trigger: dict[str, Counter[str]] = defaultdict(Counter)
    by_offer: dict[str, Counter[str]] = defaultdict(Counter)
    after = 0
    while True:
        page = engine.outbox.entries(after=after, limit=_PAGE)
        for entry in page:
            a = entry.activation
            by_trigger[a.trigger_id or ""][str(entry.status)] += 1
            by_offer[a.offer_id or ""][str(entry.status)] += 1
        if len(page) < _PAGE:
            return by_trigger, by_offer
        after = page[-1].id


def _statuses(counts: Counter[str]) -> dict[str, int]:
    return {str(s): counts.get(str(s), 0) for s in EntryStatus}


def overview(engine: Engine, now: datetime, span: timedelta) -> dict[str, Any]:
    """Triggers, offers, experiments and attribution by channel, conversions in the ``span``
    before ``now`` credited (last touch) to touches up to 7 days before them."""
    state = engine.decide_state
    reasons = trigger_reasons(state.stats)
    sent_by_trigger, sent_by_offer = outbox_tallies(engine)
    window = Window(now - span, now, timedelta(days=7))
    report = Reports(engine).attribution(window, model_named("last"))
    credit = {row["offer"]: row for row in report["byOffer"]}

    triggers = []
    for trigger in state.config.items("triggers"):
        counts = reasons.get(trigger["id"], Counter())
        triggers.append({
            "id": trigger["id"],
            "type": trigger["type"],
            "enabled": trigger.get("enabled", True),
            "fired": counts.get(FIRED, 0),
            "blocked": dict(sorted(((r, n) for r, n in counts.items() if r != FIRED),
                                   key=lambda rn: -rn[1])),
            "activations": _statuses(sent_by_trigger.get(trigger["id"], Counter())),
        })  # fmt: skip
    offers = []
    for offer in state.config.items("offers"):
        sends = sent_by_offer.get(offer["id"], Counter())
        credited = credit.get(offer["id"], {})
        offers.append({
            "id": offer["id"],
            "kind": offer.get("kind", "offer"),
            "budget": offer.get("budget"),
            "spent": round(state.ledger.spent.get(offer["id"], 0.0), 2),
            "sends": sum(sends.values()),
            "delivered": sends.get(str(EntryStatus.DELIVERED), 0),
            "conversions": credited.get("conversions", 0),
            "revenue": credited.get("revenue", 0.0),
        })  # fmt: skip
    return {
        "start": window.start,
        "end": window.end,
        "triggers": triggers,
        "offers": offers,
        "experiments": experiments(engine, now),
        "channels": report["byChannel"],
        "conversions": report["conversions"],
        "revenue": report["revenue"],
    }


def experiments(engine: Engine, now: datetime) -> list[dict[str, Any]]:
    """The results of every experiment in ``experiments.yaml`` that has started."""
    return [
        results(engine, spec, now)
        for spec in engine.experiments.current().experiments
        if spec.start <= now
    ]
