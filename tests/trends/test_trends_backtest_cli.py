"""``shopstream evaluate-trends`` on a small file in the Taobao format: it prints both
detectors and writes the markdown and JSON."""

from __future__ import annotations

import gzip
import json
import math
import random
from pathlib import Path

from typer.testing import CliRunner

from shopstream.cli import app


def write_taobao(data_dir: Path) -> None:
    """Two hours: 30 steady items in 3 categories, and every 20 minutes a new item in a
    fourth category ramping from nothing into the top."""
    rng = random.Random(3)
    rows = []
    start = 1_511_658_000
    for minute in range(120):
        rates = {(f"{i}", f"{i % 3}"): 1.0 + i / 5 for i in range(30)}
        for r in range(minute // 20 + 1):
            rates[(f"9{r}", "7")] = min(0.2 * math.exp((minute - 20 * r) / 4), 15.0)
        for (item, category), rate in rates.items():
            for _ in range(sum(1 for _ in range(40) if rng.random() < rate / 40)):
                rows.append(
                    (
                        rng.randrange(5000),
                        item,
                        category,
                        "pv",
                        start + minute * 60 + rng.randrange(60),
                    )
                )
    rows.sort(key=lambda row: row[4])
    folder = data_dir / "taobao-userbehavior-slice"
    folder.mkdir(parents=True)
    with gzip.open(folder / "UserBehavior.csv.gz", "wt") as handle:
        handle.writelines(",".join(map(str, row)) + "\n" for row in rows)


def test_evaluate_trends_prints_both_detectors_and_writes_its_results(tmp_path: Path) -> None:
    write_taobao(tmp_path / "data")
    out = tmp_path / "results"
    result = CliRunner().invoke(
        app,
        [
            "evaluate-trends",
            "--dataset",
            "taobao",
            "--data-dir",
            str(tmp_path / "data"),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "| product | emerging (ours) |" in result.output
    assert "| category | moving average |" in result.output
    data = json.loads((out / "evaluate-trends-taobao.json").read_text())
    assert data["command"] == "shopstream evaluate-trends --dataset taobao"
    ours = data["results"]["product"][0]
    assert ours["detector"] == "emerging (ours)"
    assert ours["test"]["entries"] >= 2  # the items ramping up in the test periods
    assert ours["test"]["caught"] >= 1
    assert (out / "evaluate-trends-taobao.md").read_text().startswith("# Trend detection on taobao")
