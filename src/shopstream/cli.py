"""The ``shopstream`` command line: thin wrappers over ``Engine`` and the API."""

from __future__ import annotations

import logging
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
PostgresOpt = Annotated[
    str | None, typer.Option(help="PostgreSQL URL (scale-out; or SHOPSTREAM_POSTGRES_URL)")
]


@app.callback()
def _main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


@app.command()
def serve(
    host: HostOpt = None,
    port: PortOpt = None,
    data_dir: DataDirOpt = None,
    config: ConfigOpt = None,
    redis: RedisOpt = None,
    postgres: PostgresOpt = None,
) -> None:
    """Run the API (collection, profiles, decisions) on the embedded default or scale-out."""
    import uvicorn

    from shopstream.api import KeyRing, create_app
    from shopstream.engine import Engine

    settings = Settings.load(
        config, host=host, port=port, data_dir=data_dir, redis_url=redis, postgres_url=postgres
    )
    keys, generated = KeyRing.from_settings(settings)
    try:
        engine = Engine.from_settings(settings)
    except NotImplementedError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    _print_keys(keys, generated, settings)
    uvicorn.run(create_app(engine, keys), **uvicorn_options(settings))


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """How ``serve`` runs uvicorn; ``benchmarks/_server.py`` runs it the same way."""
    return {
        "host": settings.host,
        "port": settings.port,
        "log_level": "warning",
        "access_log": False,
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
