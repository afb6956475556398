"""Schema versions of scow.db: a new file gets every migration, an old one the missing ones
(once, under the write lock, even with two openers at once), a newer one is refused."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from scow.errors import InternalError, Unsupported
from scow.store import db
from scow.store.db import SCHEMA, SCHEMA_VERSION, Database

REPO = Path(__file__).resolve().parents[3]


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def user_version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


def version_1_file(path: Path) -> Path:
    """scow.db as the first release wrote it: SCHEMA, user_version 1, no build_cache."""
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA + "PRAGMA user_version=1;")
    conn.close()
    return path


def test_a_new_file_has_every_table_and_the_current_version(tmp_path: Path) -> None:
    Database(str(tmp_path / "scow.db")).close()
    assert user_version(tmp_path / "scow.db") == SCHEMA_VERSION >= 2
    assert {"layers", "images", "refs", "containers", "volumes", "build_cache"} <= tables(
        tmp_path / "scow.db")


def test_a_version_1_file_is_upgraded_and_keeps_its_rows(tmp_path: Path) -> None:
    path = version_1_file(tmp_path / "scow.db")
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO volumes (name, created) VALUES ('keep', 1)")
    Database(str(path)).close()
    assert user_version(path) == SCHEMA_VERSION
    assert "build_cache" in tables(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT name FROM volumes").fetchall() == [("keep",)]


def test_a_table_made_lazily_before_its_migration_is_no_error(tmp_path: Path) -> None:
    path = version_1_file(tmp_path / "scow.db")
    with sqlite3.connect(path) as conn:  # what engine/build_cache.py did on version 1
        conn.execute("CREATE TABLE build_cache (key TEXT PRIMARY KEY, parent_chain TEXT, "
                     "diff_id TEXT NOT NULL, chain_id TEXT NOT NULL, created REAL NOT NULL)")
        conn.execute("INSERT INTO build_cache VALUES ('k', NULL, 'd', 'c', 1)")
    Database(str(path)).close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT key FROM build_cache").fetchall() == [("k",)]


def test_a_newer_root_is_refused_in_one_line(tmp_path: Path) -> None:
    path = version_1_file(tmp_path / "scow.db")
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version=7")
    with pytest.raises(Unsupported) as err:
        Database(str(path))
    assert str(err.value) == (f"store schema version 7 is newer than this scow "
                              f"({SCHEMA_VERSION}): upgrade scow")
    assert user_version(path) == 7


def test_the_cli_says_so_without_a_traceback(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir(mode=0o710)
    version_1_file(root / "scow.db")
    with sqlite3.connect(root / "scow.db") as conn:
        conn.execute("PRAGMA user_version=99")
    proc = subprocess.run([sys.executable, "-m", "scow", "--root", str(root), "-s", "vfs",
                           "images"], capture_output=True, text=True, timeout=60,
                          env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"})
    assert proc.returncode != 0
    assert "store schema version 99 is newer than this scow" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_two_openers_of_an_old_root_migrate_it_once(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    path = version_1_file(tmp_path / "scow.db")
    ran: list[str] = []

    def slow_step(conn: sqlite3.Connection) -> None:
        ran.append(threading.current_thread().name)
        time.sleep(0.5)  # the other opener reads version 1 and waits for the lock meanwhile
        conn.execute("CREATE TABLE once (x INTEGER)")  # fails if run twice

    monkeypatch.setattr(db, "MIGRATIONS", (*db.MIGRATIONS, slow_step))
    monkeypatch.setattr(db, "SCHEMA_VERSION", len(db.MIGRATIONS))
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            Database(str(path)).close()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_it, name=f"opener-{i}") for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == [] and len(ran) == 1
    assert user_version(path) == db.SCHEMA_VERSION


def test_a_failing_step_leaves_the_old_version(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    path = version_1_file(tmp_path / "scow.db")

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half (x INTEGER)")
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(db, "MIGRATIONS", (*db.MIGRATIONS, broken))
    monkeypatch.setattr(db, "SCHEMA_VERSION", len(db.MIGRATIONS))
    with pytest.raises(InternalError, match=r"^open metadata database .*: disk i/o error$"):
        Database(str(path))
    assert user_version(path) == 1
    assert "half" not in tables(path) and "build_cache" not in tables(path)


def test_an_upgraded_file_has_the_unfinished_row_indexes(tmp_path: Path) -> None:
    """Version 6: recovery's in-flight query reads unfinished rows through partial indexes,
    on an old root as on a new one (a new index is a migration, not a SCHEMA edit)."""
    path = version_1_file(tmp_path / "scow.db")
    Database(str(path)).close()
    with sqlite3.connect(path) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"containers_unfinished", "layers_unfinished", "rw_unfinished"} <= names
