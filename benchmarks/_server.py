"""Run the app exactly as ``shopstream serve`` does, plus an empty endpoint on the same server.

The empty endpoint (``POST /bench/empty``: read the body, answer ``{"success": true}``) is the
framework's floor for ``ingest.py``, and ``GET /bench/state`` tells how far the live state
(the consumer) has applied the log; they live here so the product has no benchmark-only route.

    python benchmarks/_server.py --port 8000 --data-dir /tmp/data [--cpu 0]

Keys and the fsync policy come from ``SHOPSTREAM_*`` variables, as for ``shopstream serve``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from fastapi import Request

from shopstream.api import KeyRing, create_app
from shopstream.api.responses import JSON
from shopstream.cli import run_app
from shopstream.engine import Engine
from shopstream.settings import Settings


async def empty(request: Request) -> JSON:
    """Read the body and answer as ``/v1/batch`` does when every event is accepted."""
    await request.body()
    return JSON({"success": True})


async def state(request: Request) -> JSON:
    """How far the log has been appended and how far the live state has applied it; and the
    recommender's background work (product texts encoded and waiting, EASE trained)."""
    engine: Engine = request.app.state.engine
    live = engine.recommender
    return JSON({
        "appended": await engine.log.last_offset(),
        "applied": engine.live.offset,
        "recommend": {
            "applied": live.offset,
            "embedded": len(live.content),
            "textsWaiting": live.content.pending,
            "neighboursTabled": not live.content.table_stale,
            "easeFitted": live.ease is not None and live.ease.fitted,
        },
    })  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--cpu", type=int, help="pin the server (all its threads) to this CPU")
    args = parser.parse_args()
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    settings = Settings.load(None, port=args.port, data_dir=args.data_dir)
    keys, _ = KeyRing.from_settings(settings)
    app = create_app(Engine.from_settings(settings), keys)
    app.add_api_route("/bench/empty", empty, methods=["POST"], include_in_schema=False)
    app.add_api_route("/bench/state", state, methods=["GET"], include_in_schema=False)
    run_app(app, settings)


if __name__ == "__main__":
    main()
