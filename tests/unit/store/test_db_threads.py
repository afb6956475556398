"""A thread's SQLite connection ends with its thread: the Engine API service runs each
attach, wait and exec on a thread of its own."""

from __future__ import annotations

import os
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


def test_a_forked_child_never_closes_the_parent_s_connections(tmp_path: Path) -> None:
    """A child that runs Python before its exec (netavark's `preexec_fn`) may drop a
    thread's connection holder; closing it there waited forever on a SQLite mutex another
    thread of the parent held at the fork, holding the parent's network flock meanwhile."""
    db = Database(str(tmp_path / "scow.db"))
    conn = db.conn
    pid = os.fork()
    if pid == 0:  # the child: drop the holder, as a collection in a preexec_fn would
        try:
            del db._local.closer
            conn.execute("SELECT 1")  # still open: the child closed nothing
            os._exit(0)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    db.close()
