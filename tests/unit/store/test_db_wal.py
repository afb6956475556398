"""The WAL outlives a process: closing a Database writes nothing (no checkpoint, the WAL and
its index stay), the next process and a process killed after a commit see every commit, and
a close past WAL_CHECKPOINT_SIZE checkpoints it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from scow.store.db import WAL_CHECKPOINT_SIZE, Database

FRAME = 4096 + 24  # a page and its frame header


def _insert(db: Database, owner: str) -> None:
    with db.write() as tx:
        tx.execute("INSERT INTO leases VALUES (?, 'sha256:x', 0)", (owner,))


def test_close_leaves_the_wal_and_writes_nothing_to_the_database(tmp_path: Path) -> None:
    path = tmp_path / "scow.db"
    db = Database(str(path))
    _insert(db, "owner-1-a")
    before = path.stat()
    db.close()
    wal = tmp_path / "scow.db-wal"
    assert wal.exists() and wal.stat().st_size > 0   # SQLite's close would delete it
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    # another process (no shared memory of ours: it rebuilds the WAL's index) sees the commit
    code = ("import _sqlite3 as s, sys; c = s.connect(sys.argv[1]); "
            "print(c.execute('SELECT owner FROM leases').fetchone()[0])")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "owner-1-a"


def test_a_commit_survives_its_process_being_killed(tmp_path: Path) -> None:
    path = tmp_path / "scow.db"
    Database(str(path)).close()
    code = ("import os, signal, sys\n"
            "from scow.store.db import Database\n"
            "db = Database(sys.argv[1])\n"
            "with db.write() as tx:\n"
            "    tx.execute(\"INSERT INTO leases VALUES ('x', 'y', 0)\")\n"
            "os.kill(os.getpid(), signal.SIGKILL)\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run([sys.executable, "-c", code, str(path)], env=env)
    assert proc.returncode == -signal.SIGKILL
    db = Database(str(path))
    assert [r[0] for r in db.query("SELECT owner FROM leases")] == ["x"]
    db.close()


def test_the_wal_stays_bounded_across_many_processes_commits(tmp_path: Path) -> None:
    path, wal = tmp_path / "scow.db", tmp_path / "scow.db-wal"
    n = 2 * WAL_CHECKPOINT_SIZE // FRAME   # a Database per "process", ~2 frames a commit
    sizes = []
    for i in range(n):
        db = Database(str(path))
        _insert(db, f"owner-{i}-a")
        db.close()
        sizes.append(wal.stat().st_size)
    assert max(sizes) < WAL_CHECKPOINT_SIZE + 8 * FRAME      # one commit past the limit at most
    assert sizes.count(0) >= 2                                # checkpointed and truncated
    assert path.stat().st_size > 4096 * 8                     # into the file
    db = Database(str(path))
    assert db.query("SELECT count(*) FROM leases")[0][0] == n
    db.close()


def test_a_reader_in_a_transaction_does_not_hold_up_a_close(tmp_path: Path) -> None:
    path, wal = tmp_path / "scow.db", tmp_path / "scow.db-wal"
    db = Database(str(path))
    with db.write() as tx:
        tx.execute("INSERT INTO leases SELECT 'owner', zeroblob(?), 0", (WAL_CHECKPOINT_SIZE,))
    reader = Database(str(path))
    reader.conn.execute("BEGIN")
    assert reader.query("SELECT count(*) FROM leases")[0][0] == 1   # holds its snapshot
    started = time.monotonic()
    db.close()
    assert time.monotonic() - started < 10         # not the 60 s busy timeout
    assert wal.stat().st_size >= WAL_CHECKPOINT_SIZE
    reader.conn.execute("COMMIT")
    reader.close()                                 # the last one: checkpointed, truncated
    assert wal.stat().st_size == 0
    assert Database(str(path)).query("SELECT count(*) FROM leases")[0][0] == 1
