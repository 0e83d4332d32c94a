"""The scale-out backend assembled: Redis Streams for the log and the online state,
PostgreSQL as the system of record (see docs/scale-out.md).

:class:`ScaleOutLog` is the :class:`shopstream.log.EventLog` the API uses. An append is
acknowledged once Redis ran it (durable by Redis's AOF policy) and, with
``ack="redis+postgres"`` (the default), once the batch is also committed to the PostgreSQL
archive: then a 200 means the events are in two stores, one of them fsynced by PostgreSQL's
WAL, and either store being away turns the request into a 503 the client retries (Redis gives
a retried append its first offsets; the archive keeps one row per offset). Reads come from
the Redis order stream, and from the archive for what the workers have trimmed.

Dead letters go the same way: Redis gives each its id, and with ``redis+postgres`` they are
committed to the archive's ``dead_letters`` before the response that names them; the workers
archive what is still in Redis (all of it with ``ack=redis``) and trim it. If Redis restarts
empty, the log rebuilds its counters and dedupe map from the archive
(:meth:`RedisEventLog.seed`) before it appends again, and one worker rebuilds the online state
from it (:mod:`shopstream.scaleout.rebuild`) before any applies an event again.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shopstream.core import DroppedWrites, Offset
from shopstream.deliver import AudienceStore, Outbox
from shopstream.events import Message, message_from_json, message_to_json
from shopstream.log import DeadLetter, EventIndex, EventLog, LogRecord, StateStore
from shopstream.measure import DecisionLog, ExposureLog, OutcomeLog
from shopstream.measure.experiment_config import ExperimentStore, load_experiments
from shopstream.profiles import AuditLog
from shopstream.scaleout import ArchivedEvent, Worker
from shopstream.storage.postgres import (
    PostgresArchive,
    PostgresAudiences,
    PostgresAuditLog,
    PostgresDecisionLog,
    PostgresEventIndex,
    PostgresExperiments,
    PostgresExposureLog,
    PostgresOutbox,
    PostgresOutcomeLog,
    PostgresStateStore,
    migrate,
)
from shopstream.storage.redis import RedisEventLog, RedisLeases, RedisOnlineState

if TYPE_CHECKING:
    from shopstream.settings import Settings

logger = logging.getLogger(__name__)


class ScaleOutLog:
    """The log on Redis Streams, its history in the PostgreSQL archive."""

    def __init__(
        self, redis: RedisEventLog, archive: PostgresArchive, *, archive_on_append: bool = True
    ) -> None:
        self.redis = redis
        self.archive = archive
        self._archive_on_append = archive_on_append

    async def append(
        self, messages: Sequence[Message], *, payloads: Sequence[bytes] | None = None
    ) -> list[Offset]:
        logged = payloads if payloads is not None else [message_to_json(m) for m in messages]
        marked = await self.redis.append_marked(messages, payloads=logged)
        if self._archive_on_append and messages:
            # The archive keeps each offset as it was first appended: a retried request
            # (received again, stamped again) must not archive a second, different version.
            fresh: dict[Offset, tuple[Message, bytes]] = {}
            repeats: set[Offset] = set()
            for (offset, new), message, payload in zip(marked, messages, logged, strict=True):
                if new:
                    fresh.setdefault(offset, (message, payload))
                else:
                    repeats.add(offset)
            stored = await self.redis.payloads(sorted(repeats - set(fresh)))
            events = [
                ArchivedEvent(o, self.redis.partition_of(m), payload, m, None)
                for o, (m, payload) in fresh.items()
            ]
            for offset, payload in stored.items():
                m = message_from_json(payload)
                events.append(ArchivedEvent(offset, self.redis.partition_of(m), payload, m, None))
            await self.archive.archive(events)
        return [offset for offset, _ in marked]

    async def read(self, after: Offset, limit: int) -> list[LogRecord]:
        records = await self.redis.read(after, limit)
        if records and records[0].offset == after + 1:
            return records
        if not records and await self.redis.last_offset() <= after:
            return []
        # Offsets are dense: a gap before Redis's first record was trimmed, hence archived.
        before = records[0].offset if records else None
        older = await self.archive.read(after, limit, before=before)
        return (older + records)[:limit]

    async def last_offset(self) -> Offset:
        return await self.redis.last_offset()

    async def wait_for(self, after: Offset, timeout: float) -> bool:
        return await self.redis.wait_for(after, timeout)

    async def checkpoint(self, consumer: str, offset: Offset) -> None:
        await self.redis.checkpoint(consumer, offset)

    async def committed(self, consumer: str) -> Offset:
        return await self.redis.committed(consumer)

    async def dead_letter(self, letters: Sequence[DeadLetter]) -> None:
        stored = await self.redis.dead_letter(letters)
        if self._archive_on_append:
            await self.archive.archive_dead_letters(stored)

    async def dead_letters(self, after: int, limit: int) -> list[DeadLetter]:
        recent = await self.redis.dead_letters(after, limit)
        if recent and recent[0].id == after + 1:
            return recent
        # Ids are dense and trimmed from Redis only once archived: what precedes Redis's
        # first one is in the archive.
        before = recent[0].id if recent else None
        older = await self.archive.dead_letters(after, limit, before=before)
        return (older + recent)[:limit]

    async def ping(self) -> None:
        await self.redis.ping()
        if self._archive_on_append:
            await self.archive.ping()

    async def close(self) -> None:
        await self.redis.close()
        self.archive.close()


@dataclass(frozen=True, slots=True)
class ScaleOutParts:
    """What :class:`shopstream.Engine` is built from on this backend: everything but the log
    in PostgreSQL, shared by every API process (the outbox is drained by all their deliverers)."""

    log: EventLog
    states: StateStore
    index: EventIndex
    exposures: ExposureLog
    decisions: DecisionLog
    experiments: ExperimentStore
    audit: AuditLog
    outbox: Outbox
    audiences: AudienceStore
    outcomes: OutcomeLog
    closers: tuple[Callable[[], None], ...]


def urls(settings: Settings) -> tuple[str, str]:
    """The Redis and PostgreSQL URLs; both are needed."""
    if settings.redis_url is None or settings.postgres_url is None:
        msg = "scale-out needs both --redis URL and --postgres URL (or SHOPSTREAM_REDIS_URL and SHOPSTREAM_POSTGRES_URL)"
        raise ValueError(msg)
    return settings.redis_url.get_secret_value(), settings.postgres_url.get_secret_value()


def build(settings: Settings, *, dropped: DroppedWrites | None = None) -> ScaleOutParts:
    """Apply the migrations and open every store of the scale-out backend (the background
    writers count the rows they drop in ``dropped``)."""
    redis_url, pg_url = urls(settings)
    schema = settings.postgres_schema
    migrate(pg_url, schema)
    warn_if_not_durable(redis_url, settings.ack)
    archive = PostgresArchive(pg_url, schema)
    redis = RedisEventLog(
        redis_url, prefix=settings.redis_prefix, partitions=settings.partitions,
        dedupe_window=settings.dedupe_window, replicas=settings.redis_replicas,
        replicas_timeout_ms=settings.redis_replicas_timeout_ms, cluster=settings.redis_cluster,
        history=archive,
    )  # fmt: skip
    log = ScaleOutLog(redis, archive, archive_on_append=settings.ack == "redis+postgres")
    states = PostgresStateStore(pg_url, schema)
    index = PostgresEventIndex(pg_url, schema)
    exposures = PostgresExposureLog(pg_url, schema, dropped=dropped)
    decisions = PostgresDecisionLog(pg_url, schema, dropped=dropped)
    # experiments.yaml seeds the table with the experiments it has never held; from then on
    # the table is the definition every API process reads (PUT /v1/experiments changes it).
    experiments = PostgresExperiments(
        pg_url, schema, seed=load_experiments(settings.config_dir / "experiments.yaml")
    )
    audit = PostgresAuditLog(pg_url, schema)
    outbox = PostgresOutbox(pg_url, schema)
    audiences = PostgresAudiences(pg_url, schema)
    outcomes = PostgresOutcomeLog(pg_url, schema, dropped=dropped)
    closers = (states.close, index.close, exposures.close, decisions.close, experiments.close,
               audit.close, outbox.close, audiences.close, outcomes.close)  # fmt: skip
    return ScaleOutParts(
        log, states, index, exposures, decisions, experiments, audit, outbox, audiences,
        outcomes, closers,
    )  # fmt: skip


def warn_if_not_durable(redis_url: str, ack: str) -> None:
    """Say so when Redis would lose acknowledged events in a crash (its AOF policy)."""
    import redis

    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    try:
        config = client.config_get("append*")
    except redis.RedisError as exc:  # managed Redis often refuses CONFIG: say what we know
        logger.warning(
            "cannot read Redis's persistence settings (%s); make sure appendonly is on", exc
        )
        return
    finally:
        client.close()
    fsync = config.get("appendfsync") if config.get("appendonly") == "yes" else "no AOF"
    if fsync == "always":
        return
    if ack == "redis":
        logger.warning(
            "Redis persistence is %r, and acknowledgements rely on Redis alone: a Redis crash "
            "loses acknowledged events; set appendonly yes, appendfsync always, or ack=redis+postgres",
            fsync,
        )
    else:
        logger.warning(
            "Redis persistence is %r: acknowledged events are safe in PostgreSQL, and the log "
            "and the workers' online state are rebuilt from it if Redis restarts empty, while "
            "no event is processed; run Redis with appendonly yes",
            fsync,
        )


@dataclass
class WorkerParts:
    worker: Worker
    online: RedisOnlineState
    log: RedisEventLog
    archive: PostgresArchive

    async def close(self) -> None:
        await self.log.close()
        self.archive.close()


def build_worker(
    settings: Settings,
    *,
    name: str | None = None,
    batch: int = 500,
    lease_ms: int = 5_000,
    block_ms: int = 200,
    trim_every: float = 2.0,
) -> WorkerParts:
    """A :class:`shopstream.scaleout.Worker` on this backend (migrations applied first)."""
    redis_url, pg_url = urls(settings)
    migrate(pg_url, settings.postgres_schema)
    archive = PostgresArchive(pg_url, settings.postgres_schema)
    log = RedisEventLog(
        redis_url, prefix=settings.redis_prefix, partitions=settings.partitions,
        cluster=settings.redis_cluster, history=archive,
    )  # fmt: skip
    leases = RedisLeases(log.client, settings.redis_prefix)
    online = RedisOnlineState(log.client, settings.redis_prefix, leases)
    worker = Worker(
        log, online, archive, leases,
        name=name or f"{socket.gethostname()}-{os.getpid()}",
        batch=batch, lease_ms=lease_ms, block_ms=block_ms, trim_every=trim_every,
    )  # fmt: skip
    return WorkerParts(worker, online, log, archive)
