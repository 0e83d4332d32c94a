"""Run a trend backtest end to end (replay, tune on validation, score on test) and write it
as markdown and JSON."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from itertools import product
from pathlib import Path
from typing import Any

from shopstream.trends.backtest.protocol import Protocol, Sighting
from shopstream.trends.backtest.replay import Replay, replay
from shopstream.trends.backtest.scoring import (
    Score,
    Tuned,
    emerging_rule,
    moving_average_rule,
    tune,
)
from shopstream.trends.rules import TrendKind, TrendRules


@dataclass(slots=True)
class Report:
    protocol: Protocol
    command: str
    counts: dict[str, int]
    results: dict[str, list[Tuned]]  # by kind
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def unit(self) -> tuple[str, float]:
        return ("h", 3600.0) if self.protocol.period_seconds >= 86_400 else ("min", 60.0)

    def to_json(self) -> dict[str, Any]:
        p = self.protocol
        return {
            "dataset": p.name,
            "command": self.command,
            "protocol": {
                "period_seconds": p.period_seconds, "check_seconds": p.check_seconds,
                "short": str(p.short), "baseline": str(p.baseline), "top_k": p.top_k,
                "warmup_periods": p.warmup_periods, "validation_share": p.validation_share,
                "horizon_periods": p.horizon, "alphas": list(p.alphas), "ratios": list(p.ratios),
                "prior_rates_per_hour": list(p.prior_rates),
                "min_counts": list(p.min_counts),
            },
            "counts": self.counts,
            "seconds": round(self.seconds, 1),
            "results": {
                kind: [
                    {"detector": t.detector, "params": t.params, "trials": t.trials,
                     "validation": _score(t.validation), "test": _score(t.test)}
                    for t in tuned
                ]
                for kind, tuned in self.results.items()
            },
            "notes": self.notes,
        }  # fmt: skip

    def to_markdown(self) -> str:
        p = self.protocol
        name, scale = self.unit
        lines = [
            f"# Trend detection on {p.name}",
            "",
            f"`{self.command}` ({self.seconds:.0f} s). Periods of {_span(p.period_seconds)}, "
            f"detectors run every {_span(p.check_seconds)} on the {p.short} window against the "
            f"{p.baseline} window; truth: keys entering a period's top {p.top_k} for the first "
            f"time; a flag comes true if its key enters in the flag's period or the next "
            f"{p.horizon}. Thresholds tuned for F1 on the first {p.validation_share:.0%} of the "
            f"periods after a {p.warmup_periods}-period warm-up; figures on the rest (test).",
            "",
            "Counts: " + ", ".join(f"{k} {v:,}" for k, v in self.counts.items()) + ".",
            "",
            f"| kind | detector | thresholds | flags | precision | entries | recall | "
            f"caught before the period | median lead ({name}) | mean lead ({name}) | F1 (validation) |",
            "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for kind, tuned in self.results.items():
            for t in tuned:
                s = t.test
                params = ", ".join(f"{k}={v:g}" for k, v in t.params.items())
                lines.append(
                    f"| {kind} | {t.detector} | {params} | {s.flags:,} | {s.precision:.3f} | "
                    f"{s.entries:,} | {s.recall:.3f} | {s.caught_before_period:,} | "
                    f"{_lead(s.median_lead_seconds, scale)} | {_lead(s.mean_lead_seconds, scale)} | "
                    f"{t.validation.f1:.3f} |"
                )
        lines += ["", *[f"- {note}" for note in self.notes]]
        return "\n".join(lines).rstrip() + "\n"

    def write(self, out: Path) -> tuple[Path, Path]:
        out.mkdir(parents=True, exist_ok=True)
        stem = f"evaluate-trends-{self.protocol.name}"
        markdown, data = out / f"{stem}.md", out / f"{stem}.json"
        markdown.write_text(self.to_markdown())
        data.write_text(json.dumps(self.to_json(), indent=2) + "\n")
        return markdown, data


def _score(score: Score) -> dict[str, Any]:
    return {**asdict(score), "precision": score.precision, "recall": score.recall, "f1": score.f1}


def _lead(seconds: float | None, scale: float) -> str:
    return "-" if seconds is None else f"{seconds / scale:.1f}"


def _span(seconds: int) -> str:
    if seconds % 86_400 == 0:
        return f"{seconds // 86_400} d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    return f"{seconds // 60} min"


def splits(result: Replay) -> tuple[range, range]:
    """Validation and test periods: the judged periods after the warm-up, cut by share."""
    p = result.protocol
    total = result.complete_periods  # a last, partial period's top is not a fair truth
    judged = max(total - p.warmup_periods, 0)
    cut = p.warmup_periods + round(judged * p.validation_share)
    return range(p.warmup_periods, cut), range(cut, total)


def evaluate(
    sightings: Sequence[Sighting],
    protocol: Protocol,
    *,
    rules: TrendRules | None = None,
    command: str = "",
    progress: bool = False,
) -> Report:
    """Replay, tune both detectors on validation, and score them on test."""
    started = time.perf_counter()
    base = rules if rules is not None else TrendRules()
    # The prior rate of a key with no history is a setting of the rules, not a threshold:
    # each value needs its own replay (the moving average reads the same counts in each).
    replays = {
        prior: replay(
            sightings, protocol, replace(base, prior_rate_per_hour=prior), progress=progress
        )
        for prior in protocol.prior_rates
    }
    result = replays[protocol.prior_rates[0]]
    validation, test = splits(result)
    results: dict[str, list[Tuned]] = {}
    for kind in result.candidates:
        ours = [
            (
                {"prior_rate_per_hour": p, "alpha": a, "min_count": m},
                replays[p],
                emerging_rule(a, m),
            )
            for p, a, m in product(protocol.prior_rates, protocol.alphas, protocol.min_counts)
        ]
        plain = [
            ({"ratio": r, "min_count": m}, result, moving_average_rule(r, m))
            for r, m in product(protocol.ratios, protocol.min_counts)
        ]
        results[str(kind)] = [
            tune(kind, "emerging (ours)", ours, validation, test),
            tune(kind, "moving average", plain, validation, test),
        ]
    counts = {
        "sightings": result.sightings,
        "periods": result.complete_periods,
        "validation_periods": len(validation),
        "test_periods": len(test),
        "checkpoints": len(result.checks),
        **{f"candidates_{k}": len(v) for k, v in result.candidates.items()},
    }
    notes = [
        "Flags are deduplicated per key and period; flags of keys already in an earlier top "
        "are not predictions of an entry and are left out. Recall: entries flagged in their "
        "period or the one before; lead: from the flag to the end of the entry's period.",
    ]
    if TrendKind.CATEGORY not in result.candidates:
        notes.append("This dataset names no categories: products only.")
    return Report(protocol, command, counts, results, time.perf_counter() - started, notes)
