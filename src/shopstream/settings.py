"""Settings: CLI flag, then ``SHOPSTREAM_*`` environment, then ``shopstream.yaml``, then defaults.

Zero configuration means the embedded SQLite default in ``./shopstream-data``.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)


def _split(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Everything Shopstream reads from its environment, once, at start."""

    model_config = SettingsConfigDict(env_prefix="SHOPSTREAM_", frozen=True, extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path("shopstream-data")
    redis_url: SecretStr | None = None
    postgres_url: SecretStr | None = None
    # Scale-out (docs/scale-out.md): key prefix, schema, partitions of the log, and when an
    # append is acknowledged (after Redis alone, or after Redis and the PostgreSQL archive).
    redis_prefix: str = "shopstream"
    postgres_schema: str = "shopstream"
    partitions: int = 16
    ack: Literal["redis", "redis+postgres"] = "redis+postgres"
    # A repeated messageId within this window of its first append is not appended again
    # (seconds or ISO 8601, e.g. ``P7D``); the Redis log's dedupe memory is about this long.
    dedupe_window: timedelta = Field(default=timedelta(days=7), gt=timedelta(0))
    # An append answers 200 only once this many Redis replicas have it (WAIT), else 503.
    redis_replicas: int = Field(default=0, ge=0)
    redis_replicas_timeout_ms: int = Field(default=1_000, gt=0)
    # ``redis_url`` names a node of a Redis Cluster (every key carries a hash tag).
    redis_cluster: bool = False
    write_keys: Annotated[list[str], NoDecode] = Field(default_factory=list)
    server_keys: Annotated[list[str], NoDecode] = Field(default_factory=list)
    admin_keys: Annotated[list[str], NoDecode] = Field(default_factory=list)
    fsync: Literal["full", "normal"] = "full"
    phone_region: str = "US"
    max_request_bytes: int = 500 * 1024
    max_event_bytes: int = 32 * 1024
    # Collector processes (``shopstream.log.remote``): parsing and appending events off the
    # API's process. None: two where there are two CPUs or more and the backend is the
    # embedded one; 0: collect in the API's process.
    collectors: int | None = Field(default=None, ge=0)
    # What ``serve`` does: ``all``; or ``collect``: only the collection API, health and the
    # admin reads of the log, with no live state (nothing to load, nothing growing): the
    # stateless collectors of the scale-out backend, run as many as the ingest needs.
    role: Literal["all", "collect"] = "all"
    # The web apps (``shopstream.web``). ``demo`` serves the demo storefront, which embeds a
    # write key and a server key in its pages: never turn it on where strangers can reach it.
    demo: bool = False
    associates_file: Path | None = None
    # Decide's YAML (triggers.yaml, offers.yaml, segments.yaml); default: <data_dir>/decide.
    decide_config_dir: Path | None = None
    # How often decide checks its files for changes and whether a timer needs a clock tick.
    decide_tick_seconds: float = Field(default=1.0, gt=0)
    session_secret: SecretStr | None = None
    # The live recommender's blend weights (``shopstream evaluate`` writes them); hand-set
    # weights when None. See ``shopstream.recommend.weights``.
    recommend_weights: Path | None = None
    # Deliver: ``channels.yaml`` and ``experiments.yaml`` live in ``config_dir`` beside decide's
    # files; the deliverer runs inside ``serve`` unless ``deliver`` is false. A claimed
    # activation whose deliverer died is sent again after ``deliver_lease_seconds``.
    deliver: bool = True
    deliver_lease_seconds: float = Field(30.0, gt=0)
    # Ad bid multipliers (``shopstream.decide.BidRules.from_mapping`` validates them when the
    # engine is built); empty keeps the defaults.
    bid_rules: dict[str, Any] = Field(default_factory=dict)

    @property
    def config_dir(self) -> Path:
        """Where the YAML files live: decide's, ``channels.yaml`` and ``experiments.yaml``."""
        return self.decide_config_dir or self.data_dir / "decide"

    @field_validator("write_keys", "server_keys", "admin_keys", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        return _split(value)

    @field_validator("dedupe_window", mode="before")
    @classmethod
    def _seconds(cls, value: object) -> object:
        # The environment gives strings; pydantic takes a bare number only as a float or int.
        if isinstance(value, str) and value.strip().replace(".", "", 1).isdigit():
            return float(value)
        return value

    @classmethod
    def load(cls, config: Path | None = None, **overrides: Any) -> Settings:
        """Read settings with the house precedence; ``None`` overrides are ignored."""
        from_file: dict[str, Any] = {}
        if config is not None:
            loaded = yaml.safe_load(config.read_text()) or {}
            if not isinstance(loaded, dict):
                msg = f"{config}: expected a mapping of settings; got {type(loaded).__name__}"
                raise ValueError(msg)
            from_file = {key.replace("-", "_"): value for key, value in loaded.items()}
        given = {key: value for key, value in overrides.items() if value is not None}
        # Environment beats the file: build from the environment with the file as defaults.
        env_only = cls(**given)
        env_set = {name for name in cls.model_fields if name in env_only.model_fields_set}
        merged = {k: v for k, v in from_file.items() if k not in env_set and k in cls.model_fields}
        return cls(**{**merged, **given})

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then the environment; no ``.env`` files or secret directories."""
        return (init_settings, env_settings)
