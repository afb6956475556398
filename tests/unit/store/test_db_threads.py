"""A thread's SQLite connection ends with its thread: the Engine API service runs each
attach, wait and exec on a thread of its own."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from scow.store.db import Database


def test_a_thread_s_connection_is_closed_when_the_thread_ends(tmp_path: Path) -> None:
    """The Engine API service runs each attach, wait and exec on a thread of its own: each
    one's connection must not outlive it (it held ~200 KB of page cache each)."""
    db = Database(str(tmp_path / "scow.db"))
    seen = []

    def read() -> None:
        seen.append(db.conn)
        db.query("SELECT count(*) FROM leases")
    for _ in range(20):
        t = threading.Thread(target=read)
        t.start()
        t.join()
    assert len(db._all) == 1  # this thread's, opened by the Database itself
    with pytest.raises(Exception, match="closed"):
        seen[0].execute("SELECT 1")
    db.query("SELECT count(*) FROM leases")
    db.close()
