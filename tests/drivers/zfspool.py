"""A ZFS pool on a sparse file, for tests, served by the host's one zfs-fuse daemon (or the
kernel module where /dev/zfs exists).

One zfs-fuse daemon serves every pool of the host: `zfs_daemon()` starts one only when none
answers, shares it between every pytest process of the host, and the last of them stops it, by
its pid. The
pool is made by `zpool create` on a file in the test's folder and always destroyed afterwards.
"""

from __future__ import annotations

import contextlib
import fcntl
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
    """A zfs-fuse daemon for the block: the pid of the tests' shared daemon, or None when ZFS
    is the kernel module or a daemon that the tests did not start (someone else owns it).

    Every pytest process of the host (xdist workers, concurrent runs) shares one daemon: the
    first user starts it, the last one stops it, by the pid it wrote, under a host-wide lock
    (`/run/scow-tests/zfs-fuse`). A daemon stopped while another worker's pool still lives
    made that pool's destroy fail (CI: "make sure that the zfs-fuse daemon is running").
    Ours holds xattrs (``--enable-xattr``; zfs-fuse refuses every xattr without it)."""
    del base  # the daemon outlives any one test folder
    if os.path.exists("/dev/zfs"):
        yield None
        return
    os.makedirs(_USERS, exist_ok=True)
    user = os.path.join(_USERS, f"{os.getpid()}.{time.monotonic_ns()}")
    with _host_lock():
        pid = _ensure_daemon()
        open(user, "x", encoding="ascii").close()
    try:
        yield pid
    finally:
        with _host_lock():
            os.unlink(user)
            if not _live_users():
                _stop_ours()


_SHARED = "/run/scow-tests/zfs-fuse"
_USERS = os.path.join(_SHARED, "users")
_PIDFILE = os.path.join(_SHARED, "daemon.pid")


@contextlib.contextmanager
def _host_lock() -> Iterator[None]:
    fd = os.open(os.path.join(_SHARED, "lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _ensure_daemon() -> int | None:
    """Start the shared daemon unless one answers; the pid of ours, else None."""
    if zfs.fuse_daemon_running():
        return _our_pid()
    with contextlib.suppress(FileNotFoundError):
        os.unlink(_PIDFILE)
    binary = shutil.which("zfs-fuse") or "/usr/sbin/zfs-fuse"
    subprocess.run([binary, "--pidfile", _PIDFILE, "--no-kstat-mount", "--enable-xattr"],
                   check=True, timeout=60)
    pid = _read_pid(_PIDFILE)
    deadline = time.monotonic() + 30
    while not zfs.fuse_daemon_running():
        if time.monotonic() > deadline:
            _stop(pid)
            raise RuntimeError("zfs-fuse started but does not answer")
        time.sleep(0.1)
    return pid


def _our_pid() -> int | None:
    """The pid in our pidfile when that process is the daemon we started (its command line
    names our pidfile), else None."""
    try:
        with open(_PIDFILE, encoding="ascii") as f:
            pid = int(f.read().strip())
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            ours = _PIDFILE.encode() in f.read().split(b"\0")
    except (OSError, ValueError):
        return None
    return pid if ours else None


def _live_users() -> list[str]:
    """The users of the shared daemon whose process still lives (a killed pytest's entry is
    dropped here)."""
    live = []
    for entry in os.listdir(_USERS):
        try:
            os.kill(int(entry.split(".")[0]), 0)
        except ProcessLookupError:
            os.unlink(os.path.join(_USERS, entry))
            continue
        except ValueError:
            continue
        live.append(entry)
    return live


def _stop_ours() -> None:
    pid = _our_pid()
    if pid is not None:
        _stop(pid)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(_PIDFILE)


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
        if not zfs.fuse_daemon_running() and not os.path.exists("/dev/zfs"):
            raise RuntimeError(f"zpool destroy {name}: the zfs-fuse daemon is gone "
                               "(it was stopped or died before the pool was destroyed)")
        if time.monotonic() > deadline:
            with open("/proc/self/mountinfo", encoding="utf-8") as f:
                mounted = [line.split()[4] for line in f if f" {name}" in line]
            raise RuntimeError(f"zpool destroy {name}: still busy after 120s: "
                               f"{proc.stderr.strip()}; mounted: {mounted}")
        time.sleep(0.5)


def make_dataset(pool: str, mnt: str, test: str, at: str | None = None) -> tuple[str, str]:
    """A dataset `<pool>/<test>` mounted at `<mnt>/<test>`, or at `at`: (name, mountpoint)."""
    name, path = f"{pool}/{test}", at or os.path.join(mnt, test)
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
