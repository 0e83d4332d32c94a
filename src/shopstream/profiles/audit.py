"""Who looked at which customer's profile, from where and when: an append-only record.

Every profile an associate opens is recorded before it is shown; operators read the record
(``GET /v1/audit``). :class:`AuditLog` is the port ``storage/`` backends implement; the
in-memory one serves tests and the Python library.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from shopstream.core import CustomerId, StoreId


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One access to a customer's data.

    ``actor`` is who (an associate id, a key's source), ``role`` in what capacity
    (``associate``, ``server``...), ``action`` what was done (``profile.view``), and ``id``
    the entry's place in the log (0 until recorded).
    """

    at: datetime
    actor: str
    role: str
    customer_id: CustomerId
    action: str
    store_id: StoreId | None = None
    id: int = 0


class AuditLog(Protocol):
    """An append-only log of :class:`AuditEntry`: entries are added, never changed."""

    async def record(self, entry: AuditEntry) -> AuditEntry:
        """Append ``entry`` durably; returns it with its ``id``."""
        ...

    async def read(
        self,
        after: int = 0,
        limit: int = 100,
        *,
        customer_id: CustomerId | None = None,
        actor: str | None = None,
        store_id: StoreId | None = None,
    ) -> list[AuditEntry]:
        """Entries with ``id`` greater than ``after``, oldest first, optionally filtered."""
        ...


class MemoryAuditLog:
    """:class:`AuditLog` in memory (lost on exit).

    Examples:
        >>> import asyncio
        >>> from datetime import UTC, datetime
        >>> log = MemoryAuditLog()
        >>> entry = AuditEntry(datetime(2026, 3, 1, tzinfo=UTC), "a-7", "associate",
        ...                    CustomerId("c1"), "profile.view", StoreId("s1"))
        >>> asyncio.run(log.record(entry)).id
        1
    """

    def __init__(self) -> None:
        self._entries: list[AuditEntry] = []
        self._lock = asyncio.Lock()

    async def record(self, entry: AuditEntry) -> AuditEntry:
        async with self._lock:
            recorded = replace(entry, id=len(self._entries) + 1)
            self._entries.append(recorded)
            return recorded

    async def read(
        self,
        after: int = 0,
        limit: int = 100,
        *,
        customer_id: CustomerId | None = None,
        actor: str | None = None,
        store_id: StoreId | None = None,
    ) -> list[AuditEntry]:
        found = [
            e
            for e in self._entries[max(0, after) :]
            if (customer_id is None or e.customer_id == customer_id)
            and (actor is None or e.actor == actor)
            and (store_id is None or e.store_id == store_id)
        ]
        return found[: max(0, limit)]
