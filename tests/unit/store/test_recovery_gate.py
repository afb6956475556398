"""Recovery runs only when a dead owner left work: a root with nothing to recover costs one
query and one listdir (no scan of owner tokens, containers or blobs); a dead owner's
unfinished row, lease or staging entry starts the whole recovery."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from scow.store import recovery
from scow.store.store import Store


def _dead_token(root: Path) -> str:
    """An owner token file whose process is gone (no flock held on it)."""
    name = f"owner-999999-{os.urandom(4).hex()}"
    (root / "locks").mkdir(exist_ok=True)
    (root / "locks" / name).write_bytes(b"")
    return name


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(str(tmp_path), driver_name="vfs")
    s.owner.name  # noqa: B018 - this process's token, as any writer has
    return s


def _forbid_scans(monkeypatch: pytest.MonkeyPatch, store: Store) -> None:
    def scan(*_: object) -> None:
        raise AssertionError("recovery scanned what only a dead owner's work needs")

    monkeypatch.setattr(store.blobs, "walk", scan)
    monkeypatch.setattr(store.owner, "reap_dead", scan)
    monkeypatch.setattr(recovery, "is_quiet", scan)


def test_nothing_to_recover_scans_nothing(store: Store, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    _dead_token(tmp_path)  # a dead writer that left no work: no reason to recover
    _forbid_scans(monkeypatch, store)
    assert not recovery.needs_recovery(store)
    assert store.recover() == []


def test_a_dead_owners_row_starts_recovery(store: Store, tmp_path: Path) -> None:
    dead = _dead_token(tmp_path)
    with store.db.write() as tx:
        tx.execute("INSERT INTO leases VALUES (?, ?, ?)", (dead, "sha256:" + "a" * 64,
                                                            time.time()))
    assert recovery.needs_recovery(store)
    store.recover()
    assert store.db.query("SELECT count(*) FROM leases")[0][0] == 0
    assert not (tmp_path / "locks" / dead).exists()  # reaped along the recovery


def test_a_live_owners_work_is_not_a_reason(store: Store, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    with store.db.write() as tx:
        tx.execute("INSERT INTO leases VALUES (?, ?, ?)", (store.owner.name,
                                                            "sha256:" + "b" * 64, time.time()))
    _forbid_scans(monkeypatch, store)
    assert not recovery.needs_recovery(store)


def test_a_dead_owners_staging_entry_starts_recovery(store: Store, tmp_path: Path) -> None:
    dead = _dead_token(tmp_path)
    staged = Path(store.tmp) / f"{dead}.layer"
    staged.mkdir()
    assert recovery.needs_recovery(store)
    store.recover()
    assert not staged.exists()


def test_a_container_layer_of_no_container_starts_recovery(store: Store) -> None:
    with store.db.write() as tx:
        tx.execute("INSERT INTO rw_layers VALUES (?, NULL, ?, 'ready', NULL, 0)",
                   ("d" * 64, "e" * 64))
    assert recovery.needs_recovery(store)


def _opcodes_of_in_flight_query(store: Store) -> int:
    """SQLite VM steps of the query `needs_recovery` runs on every writer's first write."""
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    store.db.conn.set_progress_handler(count, 1)
    try:
        store.db.query(recovery._IN_FLIGHT_SQL)
    finally:
        store.db.conn.set_progress_handler(None, 1)
    return steps[0]


def test_the_in_flight_query_does_not_grow_with_ready_containers(store: Store) -> None:
    """Issue 18: `create` N+1 must not read the rows of the N containers made before it
    (their docs are a page each): unfinished rows are found through partial indexes."""
    def add(n: int, start: int) -> None:
        with store.db.write() as tx:
            for i in range(start, start + n):
                cid = f"{i:064x}"
                tx.execute("INSERT INTO containers VALUES (?, ?, 'sha256:x', ?, 0, 'ready', NULL,"
                           " ?)", (cid, f"c{i}", cid, "x" * 3000))
                tx.execute("INSERT INTO rw_layers VALUES (?, NULL, ?, 'ready', NULL, 0)",
                           (cid, cid))
                tx.execute("INSERT INTO layers VALUES (?, ?, NULL, NULL, 0, 'ready', NULL, 0)",
                           (cid, "sha256:" + cid))

    add(5, 0)
    few = _opcodes_of_in_flight_query(store)
    add(300, 5)
    assert _opcodes_of_in_flight_query(store) == few
