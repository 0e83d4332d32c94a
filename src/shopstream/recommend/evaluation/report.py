"""The evaluation report: every method's metrics and chosen hyper-parameters, as JSON and
as a markdown table, with the protocol and the dataset counts after cleaning."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

COLUMNS = (
    ("hr@10", "HR@10"),
    ("hr@20", "HR@20"),
    ("recall@20", "Recall@20"),
    ("ndcg@10", "NDCG@10"),
    ("ndcg@20", "NDCG@20"),
    ("mrr@20", "MRR@20"),
    ("coverage@20", "Coverage"),
    ("latency_p50_ms", "p50 ms"),
    ("latency_p99_ms", "p99 ms"),
)


@dataclass(slots=True)
class MethodResult:
    """One method's outcome. ``metrics`` is None when it could not run; ``note`` says why."""

    name: str
    role: str
    params: dict[str, object] = field(default_factory=dict)
    validation_ndcg20: float | None = None
    trials: int = 0
    metrics: dict[str, float] | None = None
    note: str | None = None
    seconds: float = 0.0


@dataclass(slots=True)
class Report:
    dataset: str
    protocol: str
    description: str
    command: str
    quick: bool
    counts: dict[str, dict[str, int]]
    methods: list[MethodResult]
    versions: dict[str, str]
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(_plain(asdict(self)), indent=2, sort_keys=False) + "\n"

    def to_markdown(self) -> str:
        lines = [
            f"# Protocol {self.protocol} on {self.dataset}{' (quick)' if self.quick else ''}",
            "",
            self.description,
            "",
            f"Command: `{self.command}`",
            "",
            "## Counts after cleaning",
            "",
        ]
        for part, counts in self.counts.items():
            listed = ", ".join(f"{name} {value:,}" for name, value in counts.items())
            lines.append(f"- {part}: {listed}")
        header = "| method | role | " + " | ".join(title for _, title in COLUMNS) + " | requests |"
        lines += ["", "## Test metrics (k = 20)", "", header]
        lines.append("|" + "---|" * (len(COLUMNS) + 3))
        for result in self.methods:
            if result.metrics is None:
                cells = ["cannot run"] + [""] * (len(COLUMNS) - 1) + [""]
            else:
                cells = [_cell(key, result.metrics[key]) for key, _ in COLUMNS]
                cells.append(f"{int(result.metrics['requests']):,}")
            lines.append(f"| {result.name} | {result.role} | " + " | ".join(cells) + " |")
        lines += ["", "## Chosen hyper-parameters (tuned on the validation split by NDCG@20)", ""]
        for result in self.methods:
            detail = json.dumps(_plain(result.params), sort_keys=False)
            validation = (
                f"validation NDCG@20 {result.validation_ndcg20:.4f} over {result.trials} trials"
                if result.validation_ndcg20 is not None
                else "not tuned"
            )
            note = f" — {result.note}" if result.note else ""
            lines.append(
                f"- **{result.name}**: `{detail}` ({validation}; {result.seconds:.0f} s){note}"
            )
        if self.notes:
            lines += ["", "## Notes", ""] + [f"- {note}" for note in self.notes]
        lines += ["", "Versions: " + ", ".join(f"{k} {v}" for k, v in self.versions.items()), ""]
        return "\n".join(lines)

    def write(self, directory: Path) -> tuple[Path, Path]:
        directory.mkdir(parents=True, exist_ok=True)
        markdown = directory / f"evaluate-{self.dataset}.md"
        data = directory / f"evaluate-{self.dataset}.json"
        markdown.write_text(self.to_markdown(), encoding="utf-8")
        data.write_text(self.to_json(), encoding="utf-8")
        return markdown, data


def _cell(key: str, value: float) -> str:
    if key.startswith("latency"):
        return f"{value:.2f}"
    return f"{value:.4f}"


def _plain(value: object) -> object:
    """``value`` with only JSON types: infinities as strings, objects as their repr."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return repr(value)
