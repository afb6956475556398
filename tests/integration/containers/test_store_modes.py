"""Modes under the store root (issue 12, part C): a root made now has the modes of the table in
store/modes.py (docker's /var/lib/docker as the reference); a non-root user reads no secret and
lists no store folder; a root made by an older scow is tightened on its first write; `system
check` reports loose modes and `--repair` narrows them."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.containers.kit import Scow, mounts_under
from tests.tools import require_root, require_runc, require_tool

from scow.store import modes

NOBODY = 65534
# docker's modes, independent of the table (moby: daemon_unix.go setupDaemonRoot, image/fs.go,
# graphdriver/overlay2, volume/local, logger/jsonfilelog)
DOCKER = {".": 0o710, "scow.db": 0o600, "blobs": 0o700, "layerdb": 0o700, "tmp": 0o700,
          "containers": 0o710, "volumes": 0o701, "overlay2": 0o710, "vfs": 0o710}


def _widest_ok(root: Path) -> list[str]:
    """Every entry under `root` (not only those the table walk visits) against the table;
    a running container's mounted rootfs (merged/) shows the container's modes: skipped."""
    bad = []
    dev = os.stat(root).st_dev
    for folder, dirs, files in os.walk(root):
        for name in ["", *dirs, *files]:
            path = os.path.join(folder, name) if name else folder
            if name == "" and folder != str(root):
                continue
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode) or st.st_dev != dev:
                continue
            rel = os.path.relpath(path, root)
            allowed = modes.widest("" if rel == "." else rel, stat.S_ISDIR(st.st_mode))
            if allowed is not None and stat.S_IMODE(st.st_mode) & ~allowed:
                bad.append(f"{rel} {stat.S_IMODE(st.st_mode):04o} > {allowed:04o}")
    return bad


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def open_scow(request: pytest.FixtureRequest, busybox_tar: Path,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scow]:
    """A store in a folder every user may traverse (pytest's own temp folder is 0700, which
    would hide the store from a non-root user whatever its modes), with `bb:1` imported."""
    driver = getattr(request, "param", "vfs")
    require_root()  # the store's modes are judged against another user
    require_runc()
    base = Path(tempfile.mkdtemp(prefix="scow-modes-", dir="/tmp"))
    os.chmod(base, 0o755)
    scow = Scow(base / "root", driver)
    try:
        scow("import", str(busybox_tar), "bb:1")
        yield scow
    finally:
        scow.cleanup()
        leaked = mounts_under(base)
        for point in sorted(leaked, reverse=True):
            subprocess.run(["umount", "-l", point], check=False)
        shutil.rmtree(base, ignore_errors=True)
        assert not leaked, f"mounts left behind: {leaked}"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "open_scow" in metafunc.fixturenames:
        metafunc.parametrize("open_scow", ["overlay2", "vfs"], indirect=True)


def _populate(scow: Scow, tmp: Path) -> str:
    """import (done), build, run -e SECRET with a volume, volume create: what makes files."""
    (tmp / "Dockerfile").write_text("FROM bb:1\nRUN echo built > /b\n")
    scow("build", "-q", "-t", "built:1", str(tmp))
    scow("volume", "create", "v2")
    scow("run", "--name", "c1", "-e", "SECRET=hunter2", "-v", "v1:/data", "bb:1",
         "sh", "-c", "echo said-hunter2; echo x > /data/f")
    return scow.full_id("c1")


def test_new_root_has_the_modes_of_the_table(open_scow: Scow, tmp_path: Path) -> None:
    cid = _populate(open_scow, tmp_path)
    open_scow("run", "-d", "--name", "up", "bb:1", "sleep", "60")
    root = open_scow.root
    folder = root / "containers" / cid
    for name in ("config.json", "container.log", "hosts", "state.json"):
        assert (folder / name).exists(), name
    assert _widest_ok(root) == []
    assert modes.loose(str(root)) == []
    for name, mode in DOCKER.items():
        if (root / name).exists():
            assert _mode(root / name) & ~mode == 0, name
    assert _mode(folder) == 0o710 and _mode(folder / "config.json") == 0o600
    assert _mode(folder / "container.log") == 0o640
    assert _mode(root / "volumes" / "v2") == 0o701
    assert _mode(root / "volumes" / "v2" / "_data") == 0o755  # the container's, as docker


def test_db_wal_and_shm_are_private(tmp_path: Path) -> None:
    from scow.store.store import Store

    store = Store(str(tmp_path / "root"), driver_name="vfs")
    try:
        with store.db.write() as tx:
            tx.execute("INSERT INTO volumes VALUES ('v', 0, '{}', 0)")
        for suffix in ("", "-wal", "-shm"):
            assert _mode(tmp_path / "root" / f"scow.db{suffix}") == 0o600, suffix
        assert _mode(tmp_path / "root") == 0o710
    finally:
        store.close()


def _as_nobody(*argv: str) -> subprocess.CompletedProcess[str]:
    require_tool("setpriv", package="util-linux")
    return subprocess.run(["setpriv", "--reuid", str(NOBODY), "--regid", str(NOBODY),
                           "--clear-groups", *argv], capture_output=True, text=True,
                          timeout=30)


def _denied(*argv: str) -> None:
    proc = _as_nobody(*argv)
    assert proc.returncode != 0 and "ermission denied" in proc.stderr, (argv, proc)


def test_non_root_user_reads_no_secret(open_scow: Scow, tmp_path: Path) -> None:
    cid = _populate(open_scow, tmp_path)
    root = open_scow.root
    folder = root / "containers" / cid
    driver = root / open_scow.driver
    _denied("ls", str(root))
    _denied("cat", str(root / "scow.db"))
    # each level on its own, as if the root were opened to others (0711, older scow's)
    os.chmod(root, 0o711)
    try:
        _denied("cat", str(root / "scow.db"))
        _denied("ls", str(driver))
        _denied("ls", str(root / "containers"))
        _denied("cat", str(folder / "config.json"))
        _denied("cat", str(folder / "container.log"))
        _denied("ls", str(root / "blobs"))
        _denied("ls", str(root / "volumes"))
        for secret in ("scow.db", "scow.db-wal"):
            path = root / secret
            if path.exists():
                assert _mode(path) & 0o077 == 0
    finally:
        os.chmod(root, 0o710)
    # what docker lets a non-root user do still works: a container running as nobody reads
    # its image's files and writes its volume
    out = open_scow.out("run", "--rm", "--user", str(NOBODY), "-v", "v2:/data", "bb:1", "sh",
                        "-c", "cat /etc/hostname >/dev/null && ls /data && echo ok")
    assert out.strip().endswith("ok")


def _loosen(root: Path) -> None:
    """What an older scow left: a 0711 root, 0644 files and 0755 folders."""
    assert modes.loose(str(root)) == []
    for folder, _dirs, files in os.walk(root):
        rel = os.path.relpath(folder, root)
        if modes.widest("" if rel == "." else rel, True) is not None:
            os.chmod(folder, 0o755)
        for name in files:
            path = os.path.join(folder, name)
            if not os.path.islink(path) and modes.widest(os.path.relpath(path, root), False):
                os.chmod(path, 0o644)
    os.chmod(root, 0o711)


def test_old_root_is_tightened_on_first_write(open_scow: Scow, tmp_path: Path) -> None:
    _populate(open_scow, tmp_path)
    root = open_scow.root
    _loosen(root)
    assert len(modes.loose(str(root))) > 10
    open_scow("images")  # a read: nothing written, nothing changed
    assert _mode(root / "scow.db") == 0o644
    open_scow("rmi", "built:1")  # the first write
    assert modes.loose(str(root)) == []
    assert _mode(root) == 0o710 and _mode(root / "scow.db") == 0o600


def test_system_check_reports_loose_modes_and_repairs_them(open_scow: Scow,
                                                           tmp_path: Path) -> None:
    cid = _populate(open_scow, tmp_path)
    root = open_scow.root
    os.chmod(root / "containers" / cid / "config.json", 0o644)
    os.chmod(root / "scow.db", 0o644)
    os.chmod(root, 0o755)
    proc = open_scow("system", "check", check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # needs --repair
    lines = [ln for ln in proc.stdout.splitlines() if "loose-mode" in ln]
    assert all(ln.startswith("repairable: loose-mode: ") for ln in lines)
    # -wal and -shm outlive the commands (store/db.py): SQLite gives them the db file's mode
    # only when it makes them or opens them empty (after a checkpoint truncated the WAL)
    names = {ln.split(": ")[2].split(" is mode ")[0] for ln in lines}
    wal = {"scow.db-wal", "scow.db-shm"}
    assert names - wal == {".", "scow.db", f"containers/{cid}/config.json"}, lines
    assert any(f"containers/{cid}/config.json is mode 0644, wider than 0600" in ln
               for ln in lines)
    proc = open_scow("system", "check", "--repair", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr  # nothing remains
    assert open_scow("system", "check", check=False).returncode == 0
    assert _mode(root) == 0o710 and _mode(root / "scow.db") == 0o600


def test_table_leaves_container_content_alone(tmp_path: Path) -> None:
    for name in ("overlay2/abc/diff", "vfs/dir/abc", "volumes/v/_data", "tmp/x",
                 "btrfs/subvolumes/abc", "overlay2/abc/diff/etc"):
        assert modes.widest(name, True) is None, name
    assert modes.widest("containers/abc/container.log.3", False) == 0o640
    assert modes.widest("containers/abc/config.json", False) == 0o600
    assert modes.widest("", True) == 0o710
    assert modes.loose(str(tmp_path / "absent")) == []


def test_first_write_checks_the_root_against_the_table() -> None:
    """Store.recover's one-stat test of an old root uses the table's ROOT_MODE (store.py
    keeps the bits as a number so that modes.py loads only for a root to tighten)."""
    from scow.store import modes, store

    assert store._WIDER_THAN_ROOT_MODE == 0o7777 & ~modes.ROOT_MODE
