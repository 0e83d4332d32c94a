"""``Engine``: one backend wired to every domain; the object every interface uses."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from shopstream.core import Offset
from shopstream.log import Collector, CollectResult, DeadLetter, EventLog, LogRecord
from shopstream.settings import Settings

logger = logging.getLogger(__name__)


class Engine:
    """Shopstream as a Python library: collect events, read the log, (later) decide.

    Examples:
        >>> engine = Engine.from_settings(Settings(data_dir=tmp_path))  # doctest: +SKIP
    """

    def __init__(self, settings: Settings, log: EventLog) -> None:
        self.settings = settings
        self.log = log
        self._collector = Collector(
            log, max_event_bytes=settings.max_event_bytes, phone_region=settings.phone_region
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Engine:
        """Build the engine on the backend the settings select (the embedded one by default)."""
        if settings.redis_url is not None or settings.postgres_url is not None:
            msg = (
                "the Redis + PostgreSQL scale-out backend is not part of this version yet; "
                "run without --redis/--postgres for the embedded backend"
            )
            raise NotImplementedError(msg)
        from shopstream.storage.sqlite import SQLiteEventLog

        log = SQLiteEventLog(settings.data_dir / "events.db", fsync=settings.fsync)
        return cls(settings, log)

    async def collect(
        self,
        raws: Sequence[object],
        *,
        source: str,
        received_at: datetime,
        sent_at: datetime | None = None,
        default_type: str | None = None,
        path: str = "batch",
    ) -> CollectResult:
        """Validate, append durably, and dead-letter what is invalid."""
        return await self._collector.collect(
            raws,
            source=source,
            received_at=received_at,
            sent_at=sent_at,
            default_type=default_type,
            path=path,
        )

    async def events(self, after: Offset, limit: int) -> list[LogRecord]:
        return await self.log.read(after, limit)

    async def dead_letters(self, after: int, limit: int) -> list[DeadLetter]:
        return await self.log.dead_letters(after, limit)

    async def ready(self) -> None:
        """Raise when the engine cannot take events now."""
        await self.log.ping()

    async def close(self) -> None:
        await self.log.close()
