"""The embedded backend: SQLite files, in-process state, no services needed."""

from __future__ import annotations

from shopstream.storage.sqlite.audiences import SQLiteAudiences
from shopstream.storage.sqlite.audit import SQLiteAuditLog
from shopstream.storage.sqlite.decisions import SQLiteDecisionLog
from shopstream.storage.sqlite.exposures import SQLiteExposureLog
from shopstream.storage.sqlite.index import SQLiteIdentityIndex
from shopstream.storage.sqlite.log import FsyncPolicy, SQLiteEventLog, connect
from shopstream.storage.sqlite.outbox import SQLiteOutbox
from shopstream.storage.sqlite.outcomes import SQLiteOutcomeLog
from shopstream.storage.sqlite.state import SQLiteStateStore

__all__ = (
    "FsyncPolicy",
    "SQLiteAudiences",
    "SQLiteAuditLog",
    "SQLiteDecisionLog",
    "SQLiteEventLog",
    "SQLiteExposureLog",
    "SQLiteIdentityIndex",
    "SQLiteOutbox",
    "SQLiteOutcomeLog",
    "SQLiteStateStore",
    "connect",
)
