"""The embedded backend: SQLite files, in-process state, no services needed."""

from __future__ import annotations

from shopstream.storage.sqlite.log import FsyncPolicy, SQLiteEventLog, connect

__all__ = ("FsyncPolicy", "SQLiteEventLog", "connect")
