"""``transaction``: what a store writes in one is committed whole or not at all.

The connections every store opens are in autocommit mode, where ``with conn`` begins nothing
and an ``executemany`` commits each row on its own (a WAL commit a row: the identity index's
catch-up cost three times what it does now, and a failure halfway left half the rows).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from shopstream.storage.sqlite import connect
from shopstream.storage.sqlite.log import transaction


def table(tmp_path: Path) -> sqlite3.Connection:
    conn = connect(tmp_path / "t.db", fsync="normal")
    conn.execute("CREATE TABLE t (k TEXT PRIMARY KEY)")
    return conn


def test_a_failure_halfway_through_executemany_keeps_no_row(tmp_path: Path) -> None:
    conn = table(tmp_path)
    with pytest.raises(sqlite3.IntegrityError), transaction(conn):
        conn.executemany("INSERT INTO t VALUES (?)", [("a",), ("b",), ("a",), ("c",)])
    assert conn.execute("SELECT COUNT(*) FROM t").fetchone() == (0,)
    assert not conn.in_transaction


def test_rows_are_visible_to_another_connection_only_after_the_commit(tmp_path: Path) -> None:
    conn, other = table(tmp_path), connect(tmp_path / "t.db", fsync="normal")
    with transaction(conn):
        conn.executemany("INSERT INTO t VALUES (?)", [("a",), ("b",)])
        assert other.execute("SELECT COUNT(*) FROM t").fetchone() == (0,)
    assert other.execute("SELECT COUNT(*) FROM t").fetchone() == (2,)
