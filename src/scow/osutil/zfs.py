"""owns: the `zfs`/`zpool` commands scow drives (as moby does, through go-zfs), with their
failures turned into one-line scow errors, and the question "which ZFS dataset holds this
folder" (from /proc/self/mountinfo).

The same commands serve the kernel module (/dev/zfs, mounts of type ``zfs``) and zfs-fuse (ZFS
in user space, one ``zfs-fuse`` daemon per host serving every pool, mounts of type
``fuse.zfs``). Nothing here mounts with mount(2): a dataset is mounted by ZFS itself, through
its ``mountpoint`` property (``zfs create``/``zfs clone`` mount it) or ``zfs mount``.

- ``run(verb, *args)``: run ``zfs``/``zpool``; stdout, or DriverError naming the command and
  the tool's own last line of stderr (ZFS full: NoSpace).
- ``destroy(dataset, *flags)``: ``zfs destroy``, waiting out a transient "dataset is busy".
- ``dataset_of(path)``: the dataset mounted at or above `path`, or None when not on ZFS.
- ``unavailable_reason()``: why ZFS cannot be driven here (no command; neither /dev/zfs nor a
  running zfs-fuse), with how to get it; None when it can.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time

from scow.errors import Conflict, DriverError, NoSpace, ScowError

FS_TYPES = ("zfs", "fuse.zfs")  # the kernel module's mounts; zfs-fuse's
HOW_TO_GET = "apt-get install zfs-fuse, then start zfs-fuse; or load the zfs kernel module"
_TIMEOUT = 300
_BUSY_WAIT = 10.0  # seconds a destroy waits out "dataset is busy"
_ESCAPE = re.compile(r"\\([0-7]{3})")


def _unescape(field: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), field)


def run(tool: str, *args: str) -> str:
    """Run `tool` (``zfs`` or ``zpool``) with `args`; its stdout."""
    what = " ".join((tool, *args[:2]))
    try:
        proc = subprocess.run([tool, *args], capture_output=True, text=True, check=False,
                              timeout=_TIMEOUT, stdin=subprocess.DEVNULL)
    except FileNotFoundError as exc:
        raise DriverError(f"run {tool}: not installed ({HOW_TO_GET})") from exc
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DriverError(f"run {what}: {exc}") from exc
    if proc.returncode != 0:
        raise _error(what, proc.stderr, proc.returncode)
    return proc.stdout


def _error(what: str, stderr: str, code: int) -> ScowError:
    """One line from the tool's stderr: its "cannot ..." line (zfs goes on with hints and
    dataset lists), else its last line; typed by what it says."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    cause = next((ln for ln in lines if ln.startswith("cannot ")),
                 lines[-1] if lines else f"exit status {code}")
    if "out of space" in cause or "quota exceeded" in cause:
        return NoSpace(f"{what}: {cause[:300]}")
    if "dependent clones" in cause or "already exists" in cause:
        return Conflict(f"{what}: {cause[:300]}")
    return DriverError(f"{what}: {cause[:300]}")


def destroy(dataset: str, *flags: str) -> None:
    """``zfs destroy`` (with `flags`), retried for a few seconds while ZFS answers "dataset is
    busy": zfs-fuse refuses to unmount for a moment after a folder of it was read (the kernel
    is still releasing the FUSE inodes), the kernel module while a process leaves the tree."""
    delay, deadline = 0.02, time.monotonic() + _BUSY_WAIT
    while True:
        try:
            run("zfs", "destroy", *flags, dataset)
            return
        except ScowError as exc:
            if "busy" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


def get(dataset: str, *props: str) -> list[str]:
    """The values of `props` of `dataset`, exact (``zfs get -Hp``), in order."""
    out = run("zfs", "get", "-Hp", "-o", "value", ",".join(props), dataset)
    return out.rstrip("\n").split("\n")


def exists(dataset: str) -> bool:
    proc = subprocess.run(["zfs", "list", "-H", "-o", "name", dataset], capture_output=True,
                          check=False, timeout=_TIMEOUT, stdin=subprocess.DEVNULL)
    return proc.returncode == 0


def snapshots(dataset: str) -> list[str]:
    """Names of every snapshot of `dataset` and of the datasets under it."""
    out = run("zfs", "list", "-H", "-o", "name", "-t", "snapshot", "-r", dataset)
    return [n for n in out.splitlines() if n]


def dataset_of(path: str) -> str | None:
    """The ZFS dataset whose mount holds `path` (the deepest mount at or above it), or None."""
    real = os.path.realpath(path)
    best: tuple[int, str | None] = (-1, None)
    with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            fields = line.split(" ")
            point = _unescape(fields[4])
            if real != point and not real.startswith(point.rstrip("/") + "/"):
                continue
            sep = fields.index("-")
            fstype, source = fields[sep + 1], _unescape(fields[sep + 2])
            if len(point) >= best[0]:  # the deepest, the last stacked among equals, wins
                best = (len(point), source if fstype in FS_TYPES else None)
    return best[1]


def unavailable_reason() -> str | None:
    """Why the zfs commands cannot work here (with how to fix it), or None."""
    if shutil.which("zfs") is None or shutil.which("zpool") is None:
        return f"the zfs and zpool commands are missing ({HOW_TO_GET})"
    if os.path.exists("/dev/zfs"):
        return None
    if not fuse_daemon_running():
        return ("neither the zfs kernel module (/dev/zfs) nor a running zfs-fuse daemon "
                f"({HOW_TO_GET})")
    return None


def fuse_daemon_running() -> bool:
    """True when a zfs-fuse daemon answers (its socket takes a `zpool list`)."""
    try:
        proc = subprocess.run(["zpool", "list", "-H", "-o", "name"], capture_output=True,
                              check=False, timeout=30, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0
