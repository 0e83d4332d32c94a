"""Protocol R on the real UCI Online Retail data, with the cheap methods only (~15 s)."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopstream.recommend import OwnHistory
from shopstream.recommend.evaluation import load_online_retail, next_basket_task
from shopstream.recommend.evaluation.popular import MostPopular, RepeatBuy
from shopstream.recommend.evaluation.runs import run
from shopstream.recommend.evaluation.tasks import RETAIL_CUTOFF

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


@pytest.mark.skipif(not (DATA / "uci-online-retail").is_dir(), reason=f"no dataset in {DATA}")
def test_protocol_r_on_the_real_data() -> None:
    data = load_online_retail(DATA)
    assert data.counts["rows_read"] == 541_909
    assert data.counts["rows_kept"] == 396_337
    task = next_basket_task("R", data.interactions, RETAIL_CUTOFF)
    assert task.counts["target_customers"] == 1_540
    assert task.counts["candidates"] == 3_607
    results = {
        name: run(method, task, desc=name, progress=False)
        for name, method in [
            ("popular", MostPopular()),
            ("repeat", RepeatBuy()),
            ("own", OwnHistory(half_life=90 * 86_400.0)),
        ]
    }
    assert all(r["requests"] == 1_540 for r in results.values())
    assert results["repeat"]["ndcg@20"] > 2 * results["popular"]["ndcg@20"]
    assert results["own"]["hr@20"] > results["popular"]["hr@20"]
