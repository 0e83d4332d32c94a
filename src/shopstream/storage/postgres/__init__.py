"""The scale-out system of record on PostgreSQL: migrations, the event archive (partitioned
by day), processor snapshots, the archive's identifier index, profiles, exposures, the decisions
log, experiment definitions, the audit log, and deliver's and measure's stores: the outbox,
audiences, measured events.

The ``psycopg`` driver is an optional extra (``pip install 'shopstream[postgres]'``); it is
imported when a store is built, never by importing this package.
"""

from __future__ import annotations

from shopstream.storage.postgres._connection import PostgresUnavailable
from shopstream.storage.postgres.archive import ArchivedEvent, PostgresArchive
from shopstream.storage.postgres.audiences import PostgresAudiences
from shopstream.storage.postgres.audit import PostgresAuditLog
from shopstream.storage.postgres.decisions import PostgresDecisionLog
from shopstream.storage.postgres.experiments import PostgresExperiments
from shopstream.storage.postgres.exposures import PostgresExposureLog
from shopstream.storage.postgres.index import PostgresEventIndex
from shopstream.storage.postgres.migrate import Migration, migrate, migrations
from shopstream.storage.postgres.outbox import PostgresOutbox
from shopstream.storage.postgres.outcomes import PostgresOutcomeLog
from shopstream.storage.postgres.profiles import PostgresProfileStore
from shopstream.storage.postgres.state import PostgresStateStore

__all__ = (
    "ArchivedEvent",
    "Migration",
    "PostgresArchive",
    "PostgresAudiences",
    "PostgresAuditLog",
    "PostgresDecisionLog",
    "PostgresEventIndex",
    "PostgresExperiments",
    "PostgresExposureLog",
    "PostgresOutbox",
    "PostgresOutcomeLog",
    "PostgresProfileStore",
    "PostgresStateStore",
    "PostgresUnavailable",
    "migrate",
    "migrations",
)
