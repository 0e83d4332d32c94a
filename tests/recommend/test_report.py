from __future__ import annotations

import json
import math
from pathlib import Path

from shopstream.recommend.evaluation import MethodResult, Report

METRICS = {
    "hr@10": 0.5,
    "hr@20": 0.75,
    "recall@20": 0.25,
    "ndcg@10": 0.125,
    "ndcg@20": 0.2,
    "mrr@20": 0.3,
    "coverage@20": 0.01,
    "latency_p50_ms": 0.5,
    "latency_p99_ms": 2.0,
    "requests": 12.0,
}


def test_report_writes_markdown_and_json_and_says_what_could_not_run(tmp_path: Path) -> None:
    report = Report(
        dataset="retail",
        protocol="R",
        description="Next basket.",
        command="shopstream evaluate --dataset retail",
        quick=False,
        counts={"dataset": {"rows_kept": 3}},
        methods=[
            MethodResult("ours", "ours", {"half_life": math.inf}, 0.2, 3, METRICS),
            MethodResult("implicit-als", "peer", note="cannot run: no implicit"),
        ],
        versions={"numpy": "2"},
    )
    markdown, data = report.write(tmp_path)
    assert markdown.name == "evaluate-retail.md"
    text = markdown.read_text()
    assert (
        "| ours | ours | 0.5000 | 0.7500 | 0.2500 | 0.1250 | 0.2000 | 0.3000 | 0.0100 | 0.50 | 2.00 | 12 |"
        in text
    )
    assert "| implicit-als | peer | cannot run |" in text
    assert "cannot run: no implicit" in text
    loaded = json.loads(data.read_text())
    assert loaded["methods"][0]["params"] == {"half_life": "inf"}
    assert loaded["methods"][1]["metrics"] is None
