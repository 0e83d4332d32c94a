"""The embedded backend: SQLite files, in-process state, no services needed."""

from __future__ import annotations

from shopstream.storage.sqlite.audit import SQLiteAuditLog
from shopstream.storage.sqlite.exposures import SQLiteExposureLog
from shopstream.storage.sqlite.index import SQLiteIdentityIndex
from shopstream.storage.sqlite.log import FsyncPolicy, SQLiteEventLog, connect
from shopstream.storage.sqlite.outbox import SQLiteOutbox
from shopstream.storage.sqlite.state import SQLiteStateStore

__all__ = (
    "FsyncPolicy",
    "SQLiteAuditLog",
    "SQLiteEventLog",
    "SQLiteExposureLog",
    "SQLiteIdentityIndex",
    "SQLiteOutbox",
    "SQLiteStateStore",
    "connect",
)
