"""The service's quick reads served from what it read before, exactly: the listing's rows
are read again after any commit by any connection or process (SQLite's data_version on a
kept connection), a state file again when its (inode, mtime, size) changed, an inspect is
answered from the listing's rows while they are current; and overlay2's LowerDir is the
real path as before (one readlink a lower entry, not a realpath)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.tools import require_overlay

from scow.engine.engine import Engine
from scow.errors import ContainerNotFound
from scow.runtime.state import ContainerState, StateCache, write_state
from scow.store.db import Database

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _scow(root: Path, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": SRC, "SCOW_ROOT": str(root)}
    out = subprocess.run([sys.executable, "-m", "scow", "--storage-driver", "vfs", *args],
                         env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_the_listing_is_read_again_after_a_cli_process_commits(
        tmp_path: Path, busybox_tar: Path) -> None:
    root = tmp_path / "root"  # (no `rename`: it waits for the host-wide network lock)
    _scow(root, "import", str(busybox_tar), "base:1")
    first = _scow(root, "create", "--name", "one", "--network", "none", "base:1", "true")
    with Engine(str(root), "vfs") as engine:
        rows = engine.store.containers
        assert [c.name for c in engine.containers.list_containers(all=True)] == ["one"]
        kept = rows.ready()
        assert rows.ready() is kept  # nothing committed: no query
        assert engine.containers.inspect("one")["Id"] == engine.containers.inspect(
            first[:8])["Id"] == first
        second = _scow(root, "create", "--name", "two", "--network", "none", "base:1", "true")
        assert {c.name for c in engine.containers.list_containers(all=True)} == {"one", "two"}
        assert engine.containers.inspect("two")["Id"] == second
        _scow(root, "rm", "one")
        with pytest.raises(ContainerNotFound):
            engine.containers.inspect("one")
        with pytest.raises(ContainerNotFound):
            engine.containers.inspect(first[:8])
        assert [c.name for c in engine.containers.list_containers(all=True)] == ["two"]


def test_an_inspect_from_the_listing_gets_its_own_copy(tmp_path: Path,
                                                        busybox_tar: Path) -> None:
    root = tmp_path / "root"
    _scow(root, "import", str(busybox_tar), "base:1")
    cid = _scow(root, "create", "--name", "one", "--network", "none", "--label", "a=b",
                "base:1", "true")
    with Engine(str(root), "vfs") as engine:
        engine.containers.list_containers(all=True)
        engine.containers.list_containers(all=True)
        doc = engine.containers.inspect(cid[:6])
        doc["Config"]["Labels"]["a"] = "changed"
        assert engine.containers.inspect("one")["Config"]["Labels"] == {"a": "b"}
        assert engine.containers.list_containers(all=True)[0].labels == {"a": "b"}


def test_the_service_own_writes_invalidate_its_listing(tmp_path: Path) -> None:
    db = Database(str(tmp_path / "scow.db"))
    try:
        before = db.changes.version()
        assert db.changes.version() == before
        with db.write() as tx:  # the same Database, another connection than the watch's
            tx.execute("CREATE TABLE probe (x)")
        assert db.changes.version() != before
    finally:
        db.close()


def test_a_state_file_is_read_again_when_replaced(tmp_path: Path) -> None:
    cache = StateCache()
    assert cache.read(str(tmp_path)) is None
    write_state(str(tmp_path), ContainerState(status="running", pid=1))
    running = cache.read(str(tmp_path))
    assert running is not None and running.status == "running"
    assert cache.read(str(tmp_path)) is running
    write_state(str(tmp_path), ContainerState(status="exited", pid=0, exit_code=3))
    exited = cache.read(str(tmp_path))
    assert exited is not None and (exited.status, exited.exit_code) == ("exited", 3)
    os.unlink(tmp_path / "state.json")
    assert cache.read(str(tmp_path)) is None


def test_a_third_write_of_the_same_length_is_not_the_first(tmp_path: Path) -> None:
    """Writes by rename alternate two inodes on ext4, and a coarse clock gives two writes in
    one tick the same mtime (set here by utime): the first and third writes of one length then
    had the same (inode, mtime, size), and the cache served the first for the third."""
    cache, folder, path = StateCache(), str(tmp_path), tmp_path / "state.json"
    write_state(folder, ContainerState(status="running", pid=5), durable=False)
    first = os.stat(path)
    assert cache.read(folder) == ContainerState(status="running", pid=5)
    write_state(folder, ContainerState(status="exited", pid=0), durable=False)
    write_state(folder, ContainerState(status="running", pid=6), durable=False)
    os.utime(path, ns=(first.st_atime_ns, first.st_mtime_ns))
    assert cache.read(folder) == ContainerState(status="running", pid=6)


def test_lower_dirs_are_the_real_paths(no_leaked_mounts: Path) -> None:
    require_overlay(str(no_leaked_mounts))
    from scow.drivers.overlay2 import Overlay2Driver

    real = no_leaked_mounts / "real"
    real.mkdir()
    (no_leaked_mounts / "link").symlink_to(real)
    driver = Overlay2Driver(str(no_leaked_mounts / "link"))
    driver.create("a", None)
    driver.create("b", "a")
    driver.create("c", "b")
    expected = [os.path.realpath(os.path.join(driver.home, p)) for p in driver._lowers("c")]
    assert driver.lower_dirs("c") == expected == [str(real / "overlay2" / i / "diff")
                                                  for i in ("b", "a")]


def test_the_service_runs_on_uvloop_where_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    import uvloop  # scow[daemon], as aiohttp

    import scow.api.server as server

    seen: list[object] = []

    async def fake_serve(engine: object, path: str, idle: float) -> None:
        seen.append(asyncio.get_running_loop())

    monkeypatch.setattr(server, "serve", fake_serve)
    server.run_service(None, "unused", 0)  # type: ignore[arg-type]
    assert isinstance(seen[0], uvloop.Loop)


def test_the_image_listing_is_made_again_after_a_cli_process_commits(
        tmp_path: Path, busybox_tar: Path) -> None:
    from scow.api.images import _listed

    root = tmp_path / "root"
    _scow(root, "import", str(busybox_tar), "base:1")
    kept: dict[object, object] = {}
    with Engine(str(root), "vfs") as engine:
        first = _listed(kept, engine, False, {})
        assert [i["RepoTags"] for i in first] == [["base:1"]]
        assert _listed(kept, engine, False, {}) is first  # nothing committed: kept
        assert _listed(kept, engine, False, {"reference": ["nope"]}) == []
        _scow(root, "tag", "base:1", "other:2")
        again = _listed(kept, engine, False, {})
        assert sorted(again[0]["RepoTags"]) == ["base:1", "other:2"]
        _scow(root, "rmi", "base:1", "other:2")
        assert _listed(kept, engine, False, {}) == []


def test_the_listing_names_the_image_again_after_a_cli_process_untags_it(
        tmp_path: Path, busybox_tar: Path) -> None:
    root = tmp_path / "root"
    image = _scow(root, "import", str(busybox_tar), "base:1")
    _scow(root, "create", "--name", "one", "--network", "none", "base:1", "true")
    with Engine(str(root), "vfs") as engine:
        for _ in range(2):
            assert engine.containers.list_containers(all=True)[0].image == "base:1"
        _scow(root, "tag", "base:1", "keep:1")
        _scow(root, "rmi", "base:1")  # untagged: another tag holds the image
        assert engine.containers.list_containers(all=True)[0].image == image
