"""A ZFS pool on a sparse file, for tests, served by the host's one zfs-fuse daemon (or the
kernel module where /dev/zfs exists).

One zfs-fuse daemon serves every pool of the host: `zfs_daemon()` starts one (its pidfile in the
test's temp folder) only when none answers, and stops only the one it started, by its pid. The
pool is made by `zpool create` on a file in the test's folder and always destroyed afterwards.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator

from tests.tools import require_root, require_tool, skip_missing_kernel_feature

from scow.osutil import zfs


def require_zfs() -> None:
    require_root()
    require_tool("zfs", package="zfs-fuse")
    require_tool("zpool", package="zfs-fuse")
    if not os.path.exists("/dev/zfs"):
        require_tool("zfs-fuse", package="zfs-fuse", also=("/usr/sbin/zfs-fuse",))
        if not os.path.exists("/dev/fuse"):
            skip_missing_kernel_feature("fuse (/dev/fuse, for zfs-fuse)")


@contextlib.contextmanager
def zfs_daemon(base: str) -> Iterator[int | None]:
    """A zfs-fuse daemon for the block: the pid of the one started here, or None when ZFS
    already answers (the kernel module, or a daemon someone else started and owns). Ours
    holds xattrs (``--enable-xattr``; zfs-fuse refuses every xattr without it)."""
    if os.path.exists("/dev/zfs") or zfs.fuse_daemon_running():
        yield None
        return
    pidfile = os.path.join(base, "zfs-fuse.pid")
    binary = shutil.which("zfs-fuse") or "/usr/sbin/zfs-fuse"
    subprocess.run([binary, "--pidfile", pidfile, "--no-kstat-mount", "--enable-xattr"],
                   check=True, timeout=60)
    pid = _read_pid(pidfile)
    try:
        deadline = time.monotonic() + 30
        while not zfs.fuse_daemon_running():
            if time.monotonic() > deadline:
                raise RuntimeError("zfs-fuse started but does not answer")
            time.sleep(0.1)
        yield pid
    finally:
        _stop(pid)


def _read_pid(pidfile: str) -> int:
    deadline = time.monotonic() + 30
    while True:
        with contextlib.suppress(FileNotFoundError, ValueError):
            with open(pidfile, encoding="ascii") as f:
                return int(f.read().strip())
        if time.monotonic() > deadline:
            raise RuntimeError(f"zfs-fuse wrote no pid to {pidfile}")
        time.sleep(0.05)


def _stop(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)


@contextlib.contextmanager
def file_pool(base: str, size: str = "1G") -> Iterator[tuple[str, str]]:
    """A fresh pool on `<base>/zfs.img` mounted at `<base>/mnt`: (pool name, mountpoint).
    Destroyed afterwards (with everything in it), whatever happened."""
    image, mnt = os.path.join(base, "zfs.img"), os.path.join(base, "mnt")
    name = f"scowtest{os.getpid()}x{os.path.basename(base).replace('-', '')[-12:]}"
    subprocess.run(["truncate", "-s", size, image], check=True)
    subprocess.run(["zpool", "create", "-f", "-m", mnt, name, image], check=True,
                   capture_output=True, timeout=120)
    try:
        yield name, mnt
    finally:
        _destroy_pool(name)
        with contextlib.suppress(OSError):
            os.unlink(image)


def _destroy_pool(name: str) -> None:
    """`zpool destroy -f`, retried while busy (a pool left imported would stay in zfs-fuse's
    cache, FAULTED, once its file is gone). zfs-fuse can stay busy for tens of seconds after
    a heavy session (seen once in CI at 30 s), so it gets two minutes, and the error says what
    zfs answered and what is still mounted in the pool."""
    deadline = time.monotonic() + 120
    while True:
        proc = subprocess.run(["zpool", "destroy", "-f", name], check=False,
                              capture_output=True, text=True, timeout=120)
        if proc.returncode == 0:
            return
        if time.monotonic() > deadline:
            with open("/proc/self/mountinfo", encoding="utf-8") as f:
                mounted = [line.split()[4] for line in f if f" {name}" in line]
            raise RuntimeError(f"zpool destroy {name}: still busy after 120s: "
                               f"{proc.stderr.strip()}; mounted: {mounted}")
        time.sleep(0.5)


def make_dataset(pool: str, mnt: str, test: str) -> tuple[str, str]:
    """A dataset `<pool>/<test>` mounted at `<mnt>/<test>`: (name, mountpoint)."""
    name, path = f"{pool}/{test}", os.path.join(mnt, test)
    subprocess.run(["zfs", "create", "-o", f"mountpoint={path}", name], check=True,
                   capture_output=True, timeout=120)
    return name, path


def destroy_dataset(name: str) -> None:
    """Destroy `name` with every snapshot, clone and child (ignores a missing one)."""
    deadline = time.monotonic() + 120  # zfs-fuse: each try destroys a part, then "busy"
    while zfs.exists(name):
        proc = subprocess.run(["zfs", "destroy", "-R", "-f", name], check=False,
                              capture_output=True, text=True, timeout=300)
        if proc.returncode != 0 and time.monotonic() > deadline:
            raise RuntimeError(f"zfs destroy -R {name}: {proc.stderr.strip()}")
        time.sleep(0.2)
