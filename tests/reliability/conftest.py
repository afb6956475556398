"""Fixtures for the reliability suite: `scow` as a user runs it (a subprocess per command,
with fault points armed through SCOW_FAULTS), busybox and small tars, a registry, and the
figures the suite gathers for docs/reliability.md (written when SCOW_RELIABILITY_FIGURES names a
file)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import make_tar
from tests.drivers.zfspool import (
    destroy_dataset,
    file_pool,
    make_dataset,
    require_zfs,
    zfs_daemon,
)
from tests.integration.conftest import registry_plain  # noqa: F401 - a fixture
from tests.reliability.figures import FIGURES

SRC = str(Path(__file__).resolve().parents[2] / "src")


def current_driver() -> str:
    """The driver scow()/ok()/assert_clean() use unless told: SCOW_TEST_DRIVER of this
    process (set by `store_root` for a test; an environment variable because pytest may load
    this conftest under a second module name), else overlay2."""
    return os.environ.get("SCOW_TEST_DRIVER") or "overlay2"


def scow(root: Path, *args: str, driver: str | None = None, faults: str = "",
         stdin: bytes | None = None, timeout: float = 120,
         env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = dict(os.environ, PYTHONPATH=SRC, SCOW_STORAGE_DRIVER=driver or current_driver(),
                **(env or {}))
    full.pop("SCOW_FAULTS", None)
    if faults:
        full["SCOW_FAULTS"] = faults
    return _run(root, args, stdin, timeout, full)


def _run(root: Path, args: tuple[str, ...], stdin: bytes | None, timeout: float,
         env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run scow and wait for it, never without a deadline: subprocess.run waits with none
    after its timeout's kill (and again when interrupted), and a process stuck in the kernel
    (zfs-fuse writing a killed process's mapping back) is never reaped."""
    argv = [sys.executable, "-m", "scow", "--root", str(root), *args]
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
    except BaseException:
        proc.kill()
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"scow {' '.join(args)}: not reaped 30 s after SIGKILL "
                                 f"(pid {proc.pid} stuck in the kernel)") from None
        raise
    return subprocess.CompletedProcess(argv, proc.returncode, out.decode("utf-8", "replace"),
                                       err.decode("utf-8", "replace"))


def ok(root: Path, *args: str, **kw: object) -> str:
    proc = scow(root, *args, **kw)  # type: ignore[arg-type]
    assert proc.returncode == 0, f"scow {' '.join(args)}: {proc.stderr}{proc.stdout}"
    return proc.stdout


def assert_clean(root: Path, driver: str | None = None, *, quick: bool = True) -> None:
    args = ["system", "check"] + (["--quick"] if quick else [])
    proc = scow(root, *args, driver=driver)
    assert proc.returncode == 0, f"system check: {proc.stdout}{proc.stderr}"
    FIGURES["system checks clean"] += 1


def mounts_under(prefix: Path) -> list[str]:
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4] for line in f]
    p = str(prefix)
    return [m for m in points if m == p or m.startswith(p + "/")]


@pytest.fixture(scope="session")
def zfs_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A pool on a file for the session (a dataset per test), and a zfs-fuse daemon if none
    answers (stopped afterwards, by its pid)."""
    require_zfs()
    base = str(tmp_path_factory.mktemp("zfs"))
    with zfs_daemon(base), file_pool(base) as pool:
        yield pool


@pytest.fixture(params=["overlay2", "zfs"])
def store_root(request: pytest.FixtureRequest, no_leaked_mounts: Path,
               monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A store root for the crash and concurrency tests, per driver: overlay2 in the test's
    folder; zfs with a dataset of its own in the session's zfs-fuse pool mounted at its zfs/
    folder (the driver is chosen through SCOW_TEST_DRIVER by scow()/ok()/assert_clean() for
    the test's duration)."""
    if request.param == "overlay2":
        yield no_leaked_mounts / "root"
        return
    pool = request.getfixturevalue("zfs_pool")
    root = no_leaked_mounts / "root"
    # the dataset at <root>/zfs, the root (the store's SQLite files) on the test's own
    # filesystem: a scow killed with SQLite's -shm mapped on zfs-fuse can stay in the kernel
    # for good, writing that page back (docs/design/drivers.md)
    name, _ = make_dataset(*pool, no_leaked_mounts.name, at=str(root / "zfs"))
    monkeypatch.setenv("SCOW_TEST_DRIVER", "zfs")
    try:
        yield root
    finally:
        destroy_dataset(name)


def assert_pool_holds_only_parent(root: Path) -> None:
    """zfs: a full prune left no dataset, snapshot or clone beside the parent dataset."""
    from scow.osutil import zfs

    parent = zfs.dataset_of(str(root / "zfs")) or ""
    ok(root, "system", "prune", "-af")
    left = zfs.run("zfs", "list", "-H", "-o", "name", "-t", "all", "-r", parent).split()
    assert left == [parent]


def runc_containers(root: Path) -> list[str]:
    """The containers runc knows under the store's runc state folder."""
    proc = subprocess.run(["runc", "--root", str(root / "runtime" / "runc"), "list", "-q"],
                          capture_output=True, text=True)
    return proc.stdout.split()


@pytest.fixture
def small_tar(tmp_path: Path) -> Path:
    path = tmp_path / "small.tar"
    path.write_bytes(make_tar({"etc/": None, "etc/hello": b"hello\n", "bin/": None,
                               "bin/data": os.urandom(200_000)}))
    return path


@pytest.fixture(scope="session", autouse=True)
def _figures() -> Iterator[None]:
    yield
    out = os.environ.get("SCOW_RELIABILITY_FIGURES")
    if out and FIGURES:
        import fcntl


        with open(out + ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            _merge(Path(out))


def _merge(out: Path) -> None:
    try:
        old = json.loads(out.read_text())
    except (OSError, ValueError):
        old = {}
    for key, n in FIGURES.items():
        old[key] = old.get(key, 0) + n
    out.write_text(json.dumps(old, indent=2, sort_keys=True) + "\n")
