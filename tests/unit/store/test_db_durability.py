"""Commits that need not survive a power loss (a live process's leases) skip the WAL fsync;
every other commit keeps synchronous=FULL, also after such a commit failed."""

from __future__ import annotations

from pathlib import Path

import pytest

from scow.store.db import Database

FULL, NORMAL = 2, 1


def test_a_commit_that_is_not_durable_leaves_full_sync_behind(tmp_path: Path) -> None:
    db = Database(str(tmp_path / "scow.db"))
    seen = []
    with db.write(durable=False) as tx:
        seen.append(tx.execute("PRAGMA synchronous").fetchone()[0])
        tx.execute("INSERT INTO leases VALUES ('owner-1-a', 'sha256:x', 0)")
    assert seen == [NORMAL]
    assert db.conn.execute("PRAGMA synchronous").fetchone()[0] == FULL
    other = Database(str(tmp_path / "scow.db"))
    assert other.query("SELECT owner FROM leases")[0][0] == "owner-1-a"  # committed
    with pytest.raises(RuntimeError), db.write(durable=False):
        raise RuntimeError("rolled back")
    assert db.conn.execute("PRAGMA synchronous").fetchone()[0] == FULL
    with db.write() as tx:
        assert tx.execute("PRAGMA synchronous").fetchone()[0] == FULL
