"""The ``shopstream`` command line: thin wrappers over ``Engine`` and the API."""

from __future__ import annotations

import gc
import json
import logging
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from shopstream.settings import Settings

app = typer.Typer(
    help="Shopstream: real-time omnichannel personalization for retailers.",
    no_args_is_help=True,
    add_completion=False,
)

HostOpt = Annotated[str | None, typer.Option(help="Address to listen on [default: 127.0.0.1]")]
PortOpt = Annotated[int | None, typer.Option(help="Port to listen on [default: 8000]")]
DataDirOpt = Annotated[Path | None, typer.Option(help="Embedded data [default: ./shopstream-data]")]
ConfigOpt = Annotated[
    Path | None, typer.Option(exists=True, dir_okay=False, help="shopstream.yaml with settings")
]
RedisOpt = Annotated[
    str | None, typer.Option(help="Redis URL (scale-out; or SHOPSTREAM_REDIS_URL)")
]
ConfigDirOpt = Annotated[
    Path | None,
    typer.Option(help="Decide's triggers/offers/segments YAML [default: <data-dir>/decide]"),
]
PostgresOpt = Annotated[
    str | None, typer.Option(help="PostgreSQL URL (scale-out; or SHOPSTREAM_POSTGRES_URL)")
]
ReplicasOpt = Annotated[
    int | None,
    typer.Option(
        min=0,
        help="Answer 200 only once this many Redis replicas have the events, else 503 "
        "(scale-out; or SHOPSTREAM_REDIS_REPLICAS) [default: 0]",
    ),
]

CollectorsOpt = Annotated[
    int | None,
    typer.Option(
        min=0,
        help="Collector processes parsing and appending events (embedded backend) "
        "[default: 1 with two CPUs or more, else 0]",
    ),
]


class Role(StrEnum):
    ALL = "all"
    COLLECT = "collect"


RoleOpt = Annotated[
    Role | None,
    typer.Option(
        help="all: everything; collect: only the collection API (stateless) [default: all]"
    ),
]


@app.callback()
def _main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)


@app.command()
def serve(
    host: HostOpt = None,
    port: PortOpt = None,
    data_dir: DataDirOpt = None,
    config: ConfigOpt = None,
    redis: RedisOpt = None,
    postgres: PostgresOpt = None,
    config_dir: ConfigDirOpt = None,
    collectors: CollectorsOpt = None,
    role: RoleOpt = None,
    redis_replicas: ReplicasOpt = None,
) -> None:
    """Run the API (collection, profiles, decisions) on the embedded default or scale-out."""
    from shopstream.api import KeyRing, create_app
    from shopstream.engine import Engine

    settings = Settings.load(
        config, host=host, port=port, data_dir=data_dir, redis_url=redis, postgres_url=postgres,
        decide_config_dir=config_dir, collectors=collectors, role=role and role.value,
        redis_replicas=redis_replicas,
    )  # fmt: skip
    keys, generated = KeyRing.from_settings(settings)
    try:
        engine = Engine.from_settings(settings)
    except (NotImplementedError, ValueError) as exc:  # ValueError: a bad recommend weights file
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    _print_keys(keys, generated, settings)
    run_app(create_app(engine, keys), settings)


def run_app(app: Any, settings: Settings) -> None:
    """Serve ``app`` as ``serve`` does; ``benchmarks/_server.py`` serves the same way."""
    import uvicorn

    # The live state is millions of long-lived objects, and every event parsed allocates
    # hundreds of short-lived ones. At the default threshold (700) the cyclic collector ran
    # every few events, its gen-2 passes walking the whole state: ~15% of the server's CPU
    # at full ingest. Objects made at start are frozen out of its passes; young collections
    # run every 10,000 allocations.
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
    uvicorn.run(app, **uvicorn_options(settings))


@app.command()
def worker(
    redis: RedisOpt = None,
    postgres: PostgresOpt = None,
    config: ConfigOpt = None,
    name: Annotated[str | None, typer.Option(help="Consumer name [default: host-pid]")] = None,
    batch: Annotated[int, typer.Option(help="Events read per batch")] = 500,
    lease_ms: Annotated[int, typer.Option(help="Partition lease; a dead worker's wait")] = 5_000,
) -> None:
    """Apply the Redis log to the shared online state and archive it (run any number)."""
    import asyncio
    import signal

    from shopstream.storage.scaleout import build_worker

    settings = Settings.load(config, redis_url=redis, postgres_url=postgres)
    try:
        parts = build_worker(settings, name=name, batch=batch, lease_ms=lease_ms)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None

    async def run() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, parts.worker.stop)
        try:
            await parts.worker.run()
        finally:
            await parts.close()

    asyncio.run(run())


class EvalDataset(StrEnum):
    RETAIL = "retail"
    TAOBAO = "taobao"
    ALL = "all"


@app.command()
def evaluate(
    dataset: Annotated[
        EvalDataset, typer.Option(help="Protocol R (retail), T (taobao) or both")
    ] = EvalDataset.ALL,
    data_dir: Annotated[
        Path, typer.Option(help="Folder holding uci-online-retail/ and taobao-userbehavior-slice/")
    ] = Path("../shared/data"),
    out: Annotated[Path, typer.Option(help="Where evaluate-<dataset>.{md,json} go")] = Path(
        "benchmarks/results"
    ),
    quick: Annotated[
        bool, typer.Option(help="Tune nothing: the first value of every grid (fast, for CI)")
    ] = False,
) -> None:
    """Evaluate our recommender against peers offline (EVALUATION.md protocols R and T)."""
    from shopstream.recommend.evaluation import evaluate as run_evaluation
    from shopstream.recommend.weights import from_report, write_weights

    names = ["retail", "taobao"] if dataset is EvalDataset.ALL else [dataset.value]
    for name in names:
        command = f"shopstream evaluate --dataset {name}" + (" --quick" if quick else "")
        report = run_evaluation(
            name,  # type: ignore[arg-type]
            data_dir,
            quick=quick,
            progress=True,
            command=command,
        )
        markdown, data = report.write(out)
        typer.echo(report.to_markdown())
        typer.echo(f"wrote {markdown} and {data}")
        weights = write_weights(out / f"recommend-weights-{name}.json",
                                from_report(json.loads(data.read_text())))  # fmt: skip
        typer.echo(f"wrote {weights} (serve with SHOPSTREAM_RECOMMEND_WEIGHTS={weights})")


@app.command()
def weights(
    report: Annotated[
        Path, typer.Option(exists=True, dir_okay=False, help="An evaluate-<dataset>.json")
    ],
    out: Annotated[Path, typer.Option(help="The weights file to write")] = Path(
        "recommend-weights.json"
    ),
) -> None:
    """Write the live recommender's weights file from the blend an evaluation tuned."""
    from shopstream.recommend.errors import InvalidRecommenderParams
    from shopstream.recommend.weights import from_report, write_weights

    try:
        tuned = from_report(json.loads(report.read_text()))
    except (ValueError, InvalidRecommenderParams) as exc:
        typer.echo(f"error: {report}: {exc}", err=True)
        raise typer.Exit(2) from None
    write_weights(out, tuned)
    typer.echo(f"wrote {out}: {dict(tuned.weights)} (from {tuned.source})")


@app.command("evaluate-trends")
def evaluate_trends(
    dataset: Annotated[
        EvalDataset,
        typer.Option(help="Online Retail by day, the Taobao slice by 10 minutes, or both"),
    ] = EvalDataset.ALL,
    data_dir: Annotated[
        Path, typer.Option(help="Folder holding uci-online-retail/ and taobao-userbehavior-slice/")
    ] = Path("../shared/data"),
    out: Annotated[Path, typer.Option(help="Where evaluate-trends-<dataset>.{md,json} go")] = Path(
        "benchmarks/results"
    ),
) -> None:
    """Backtest emerging-trend detection against a moving average (lead time, precision)."""
    from shopstream.events import EventName
    from shopstream.recommend.evaluation import load_online_retail, load_taobao
    from shopstream.trends.backtest import PROTOCOLS, Sighting
    from shopstream.trends.backtest import evaluate as backtest

    events = {"view": EventName.PRODUCT_VIEWED, "wishlist": EventName.PRODUCT_ADDED_TO_WISHLIST,
              "cart": EventName.PRODUCT_ADDED, "order": EventName.ORDER_COMPLETED}  # fmt: skip
    names = ["retail", "taobao"] if dataset is EvalDataset.ALL else [dataset.value]
    for name in names:
        loaded = (load_online_retail if name == "retail" else load_taobao)(data_dir)
        sightings = [
            Sighting(i.at, i.product_id, i.category, events[i.behaviour.value])
            for i in loaded.interactions
        ]
        sightings.sort(key=lambda s: s.at)  # stable: file order breaks ties
        report = backtest(
            sightings,
            PROTOCOLS[name],
            command=f"shopstream evaluate-trends --dataset {name}",
            progress=True,
        )
        markdown, data = report.write(out)
        typer.echo(report.to_markdown())
        typer.echo(f"wrote {markdown} and {data}")


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """How ``serve`` runs uvicorn."""
    return {
        "host": settings.host,
        "port": settings.port,
        "log_level": "warning",
        "access_log": False,
        # Server-sent-event streams (the associates' nearby feed) must not hold a shutdown.
        "timeout_graceful_shutdown": 5,
    }


def _print_keys(keys: object, generated: bool, settings: Settings) -> None:
    from shopstream.api import KeyRing

    assert isinstance(keys, KeyRing)
    url = f"http://{settings.host}:{settings.port}"
    typer.echo(f"Shopstream listening on {url} (data in {settings.data_dir})")
    if generated:
        typer.echo(f"No keys configured; using the keys in {settings.data_dir / 'keys.json'}:")
        for key in keys.keys:
            typer.echo(f"  {key.scope.value:<6} key: {key.secret}")


@app.command()
def demo(
    port: PortOpt = None,
    data_dir: DataDirOpt = None,
    speed: Annotated[
        float, typer.Option(help="Simulated (or replayed) seconds per real second")
    ] = 600.0,
    replay: Annotated[
        Path | None, typer.Option(exists=True, help="Replay a real dataset instead of simulating")
    ] = None,
    config_dir: ConfigDirOpt = None,
) -> None:
    """Everything at once on the embedded default: the engine, simulated shoppers, the pages."""
    from shopstream.api import KeyRing, Scope, create_app
    from shopstream.demo import Feeder, associates, demo_catalogue
    from shopstream.engine import Engine

    base = Settings.load(None, port=port, data_dir=data_dir)
    catalogue = demo_catalogue()
    accounts_file, accounts = associates(catalogue, base.data_dir)
    settings = Settings.load(None, port=port, data_dir=data_dir, demo=True,
                             associates_file=accounts_file,
                             decide_config_dir=config_dir)  # fmt: skip
    _example_config(settings.config_dir)
    keys, _ = KeyRing.from_settings(settings)
    engine = Engine.from_settings(settings)
    url = f"http://{settings.host}:{settings.port}"
    write = next(k for k in keys.keys if k.scope is Scope.WRITE)
    admin = next(k for k in keys.keys if k.scope is Scope.ADMIN)
    typer.echo(f"Shopstream demo on {url} (data in {settings.data_dir})")
    typer.echo(f"  storefront:      {url}/shop")
    typer.echo(f"  associate app:   {url}/associate")
    for account in accounts:
        typer.echo(f"    store {account.store_id:<8} associate {account.associate_id:<10} "
                   f"PIN {account.pin}")  # fmt: skip
    typer.echo(f"  dashboard:       {url}/dashboard  (sign in with the admin key)")
    for key in keys.keys:
        typer.echo(f"  {key.scope.value:<6} key: {key.secret}")
    source = f"replaying {replay}" if replay else "simulated shoppers"
    typer.echo(f"Traffic: {source} at {speed:g}x. Ctrl-C stops.")
    Feeder(url, write.secret, admin.secret, catalogue, speed, replay=replay).start()
    run_app(create_app(engine, keys), settings)


def _example_config(directory: Path) -> None:
    """Put decide's example triggers, offers and segments in an empty config directory."""
    from shopstream.decide.config import KINDS, examples

    if any((directory / f"{kind}.yaml").exists() for kind in KINDS):
        return
    directory.mkdir(parents=True, exist_ok=True)
    for kind, text in examples().items():
        (directory / f"{kind}.yaml").write_text(text, encoding="utf-8")
    typer.echo(f"  example triggers, offers and segments written to {directory}")
    from shopstream.deliver import example_channels

    if not (directory / "channels.yaml").exists():
        (directory / "channels.yaml").write_text(example_channels(), encoding="utf-8")


@app.command()
def replay(
    path: Annotated[Path, typer.Argument(exists=True, help="UserBehavior.csv[.gz] or by-day/")],
    url: Annotated[str, typer.Option(help="The collector to send to")] = "http://127.0.0.1:8000",
    write_key: Annotated[
        str, typer.Option(envvar="SHOPSTREAM_WRITE_KEY", help="A write key of that collector")
    ] = "",
    speed: Annotated[
        float, typer.Option(help="How many times faster than it happened; 0 = as fast as possible")
    ] = 0.0,
    limit: Annotated[int | None, typer.Option(help="Send at most this many events")] = None,
) -> None:
    """Replay a real dataset (Taobao UserBehavior or UCI Online Retail) as live events."""
    from itertools import islice

    from tqdm import tqdm

    from shopstream.sender import Sender
    from shopstream.simulate import is_taobao, replay_events

    if not write_key:
        typer.echo("error: --write-key (or SHOPSTREAM_WRITE_KEY) is required", err=True)
        raise typer.Exit(2)
    kind = "taobao" if is_taobao(path) else "retail"
    timed = islice(replay_events(path), limit)
    with Sender(url, write_key) as sender, tqdm(unit=" events", desc=f"replay {kind}") as bar:
        stats = sender.play(timed, speed=speed, on_sent=bar.update)
    typer.echo(
        f"sent {stats.sent:,} events in {stats.batches:,} batches "
        f"({stats.rejected:,} rejected, {stats.retries:,} retries)"
    )
