"""owns: the network namespaces scow makes for containers on bridge networks, each kept alive
by a bind mount of its nsfs file, so netavark can set it up before runc joins it and tear it
down after the container's last process is gone.

On-disk layout::

    <root>/network/netns/<container id>   nsfs bind mount (an empty file when unmounted)
"""

from __future__ import annotations

import contextlib
import os

from scow.errors import InternalError
from scow.osutil.mounts import is_mountpoint
from scow.osutil.spawn import run_captured
from scow.osutil.syscalls import umount2

MNT_DETACH = 2


def create(path: str) -> None:
    """A new network namespace bound at `path` (loopback up), made by util-linux's unshare."""
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    if is_mountpoint(path):
        return
    with open(path, "a"):
        pass
    argv = ["unshare", f"--net={path}", "ip", "link", "set", "lo", "up"]
    try:
        code, _, err = run_captured(argv, timeout=60)
    except OSError as exc:
        raise InternalError(f"create network namespace {os.path.basename(path)[:12]}: {exc}"
                            ) from exc
    if code != 0:
        remove(path)
        raise InternalError(f"create network namespace {os.path.basename(path)[:12]}: "
                            f"{err.decode(errors='replace').strip() or code}")


def exists(path: str) -> bool:
    return is_mountpoint(path)


def remove(path: str) -> None:
    """Unmount and delete the namespace file (the namespace dies with its last user)."""
    with contextlib.suppress(OSError):
        umount2(path, MNT_DETACH)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
