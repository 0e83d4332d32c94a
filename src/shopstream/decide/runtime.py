"""Keeping the decide processor's configuration and clock moving, through the log.

:class:`DecideRuntime` runs beside the engine. It appends to the log (as admin events, so a
replay sees them at the same point) what the processor must act on but no shopper sends:

- a ``Decide Config Set`` event with the YAML texts that changed on disk (checked every
  ``tick_seconds``) or was written through the API, once it validates; an invalid file is
  reported (file, line, field) and the configuration in force stays;
- a ``Clock Ticked`` event when a timer is due by the wall clock and no event has moved the
  log's clock past it, so an absence window closes on time on a quiet shop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from datetime import datetime
from typing import Any, Protocol

from shopstream.core import Offset
from shopstream.decide.config import KINDS, DecideConfig, check_kind
from shopstream.decide.errors import InvalidConfig
from shopstream.decide.live import LiveDecide
from shopstream.events import AdminEvent

logger = logging.getLogger(__name__)

Append = Callable[[AdminEvent, dict[str, Any]], Awaitable[Offset]]


class ConfigFiles(Protocol):
    """Where the YAML texts live (a directory, in ``storage``)."""

    def read(self, kind: str) -> str | None: ...

    def write(self, kind: str, text: str) -> None: ...

    def name(self, kind: str) -> str: ...

    def fingerprint(self) -> Hashable:
        """Changes whenever a file changes."""
        ...


class DecideRuntime:
    def __init__(
        self,
        state: LiveDecide,
        files: ConfigFiles,
        append: Append,
        *,
        now: Callable[[], datetime],
        tick_seconds: float = 1.0,
    ) -> None:
        self.state = state
        self.files = files
        self._append = append
        self._now = now
        self.tick_seconds = tick_seconds
        self._seen: Hashable = None
        self.last_error: InvalidConfig | None = None
        self._lock = asyncio.Lock()

    def text(self, kind: str) -> str:
        """The text in force (what the processor applies), not necessarily the file's."""
        return self.state.config.texts[check_kind(kind)]

    async def put(self, kind: str, text: str) -> DecideConfig:
        """Validate ``text`` with the rest of the configuration, write it, apply it.

        Raises:
            InvalidConfig: with file, line and field; nothing is written.
        """
        check_kind(kind)
        async with self._lock:
            config = self.state.config.with_text(kind, text, self.files.name(kind))
            self.files.write(kind, text)
            self._seen = self.files.fingerprint()
            await self._append(AdminEvent.DECIDE_CONFIG_SET, {"texts": {kind: text}})
            return config

    async def sync(self) -> list[str]:
        """Apply the files that differ from the configuration in force; the kinds applied."""
        async with self._lock:
            self._seen = self.files.fingerprint()
            texts = {kind: self.files.read(kind) for kind in KINDS}
            current = self.state.config.texts
            changed = {k: t for k, t in texts.items() if t is not None and t != current[k]}
            if not changed:
                return []
            try:
                DecideConfig.build({**current, **changed}, {k: self.files.name(k) for k in KINDS})
            except InvalidConfig as exc:
                if str(exc) != str(self.last_error):
                    logger.error("decide configuration not applied: %s", exc)
                self.last_error = exc
                return []
            self.last_error = None
            await self._append(AdminEvent.DECIDE_CONFIG_SET, {"texts": changed})
            logger.info("decide configuration applied: %s", ", ".join(changed))
            return list(changed)

    async def tick(self) -> bool:
        """Append a clock tick if a timer is due by the wall clock; whether one was."""
        due = self.state.timers.next_due()
        now = self._now().timestamp()
        if due is None or due > now or self.state.clock >= due:
            return False
        await self._append(AdminEvent.CLOCK_TICKED, {})
        return True

    async def run(self) -> None:
        """Until cancelled: reload changed files, tick due timers."""
        while True:
            await asyncio.sleep(self.tick_seconds)
            try:
                if self.files.fingerprint() != self._seen:
                    await self.sync()
                await self.tick()
            except Exception:  # keep watching: one bad round must not stop reloads
                logger.exception("decide runtime round failed")
