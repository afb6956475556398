"""owns: questions about this mount namespace's mount table (/proc/self/mountinfo) and
unmounting everything under a folder.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re

from scow.osutil import syscalls

_ESCAPE = re.compile(r"\\([0-7]{3})")


def _unescape(field: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), field)


def mount_points() -> list[str]:
    """Every mount point of this namespace, in mount order (parents before children)."""
    with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as f:
        return [_unescape(line.split(" ", 5)[4]) for line in f if line.strip()]


def fs_type_of(path: str) -> str | None:
    """The filesystem type of the mount whose mount point is exactly `path`, or None."""
    path = os.path.realpath(path)
    found: str | None = None
    with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            fields = line.split(" ")
            if _unescape(fields[4]) == path:
                found = fields[fields.index("-") + 1]  # the last one stacked wins
    return found


def is_mountpoint(path: str) -> bool:
    """True when something is mounted exactly on `path` (symlinks resolved)."""
    real = os.path.realpath(path)
    return real in mount_points()


def mounts_under(prefix: str) -> list[str]:
    """Mount points at or below `prefix`, deepest first (the order to unmount them in)."""
    real = os.path.realpath(prefix).rstrip("/") or "/"
    inner = real + "/" if real != "/" else "/"
    found = [m for m in mount_points() if m == real or m.startswith(inner)]
    return sorted(set(found), key=lambda m: (-m.count("/"), m))


def unmount_all_under(prefix: str) -> None:
    """Lazily unmount every mount at or below `prefix`; already-gone mounts are fine."""
    for target in mounts_under(prefix):
        try:
            syscalls.umount2(target, syscalls.MNT_DETACH)
        except OSError as exc:
            if exc.errno not in (errno.EINVAL, errno.ENOENT):
                raise
    for _ in range(16):  # stacked mounts on one point need one umount each
        left = mounts_under(prefix)
        if not left:
            return
        with contextlib.suppress(OSError):
            syscalls.umount2(left[0], syscalls.MNT_DETACH)
