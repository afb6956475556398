"""owns: the contents of a container's ``-init`` layer (moby's daemon/initlayer): the mount
points and placeholders the runtime binds over, so they never show in `diff`, `commit` or
`ps --size`.

Every component of each path is unlinked first when it is a symlink, so an image cannot
redirect the later bind mounts (``/etc/resolv.conf -> ../run/x``); then only what is missing
is created. All work happens through file descriptors inside the layer (openat2 with
RESOLVE_IN_ROOT where the kernel has it).
"""

from __future__ import annotations

import os
import stat

DIRS = ("/dev/pts", "/dev/shm", "/proc", "/sys")
FILES = ("/.dockerenv", "/etc/resolv.conf", "/etc/hosts", "/etc/hostname", "/dev/console")
SYMLINKS = {"/etc/mtab": "/proc/mounts"}


def setup(root: str, extra_dirs: tuple[str, ...] = (),
          extra_files: tuple[str, ...] = ()) -> None:
    """Fill the init layer mounted at `root`; `extra_dirs` are volume mount points,
    `extra_files` the mount points of single-file binds (an empty file, as runc makes one)."""
    root_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for path in DIRS + tuple(extra_dirs):
            _ensure(root_fd, path, "dir")
        for path in FILES + tuple(extra_files):
            _ensure(root_fd, path, "file")
        for path, target in SYMLINKS.items():
            _ensure(root_fd, path, "symlink", target)
    finally:
        os.close(root_fd)


def _ensure(root_fd: int, path: str, kind: str, target: str = "") -> None:
    parts = [p for p in path.split("/") if p and p != "."]
    if any(p == ".." for p in parts):
        return
    fd = os.dup(root_fd)
    try:
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            st = _lstat(fd, part)
            if st is not None and stat.S_ISLNK(st.st_mode) and not (last and kind == "symlink"):
                os.unlink(part, dir_fd=fd)
                st = None
            if last:
                _create(fd, part, kind, target, st)
                return
            if st is None:
                os.mkdir(part, 0o755, dir_fd=fd)
            elif not stat.S_ISDIR(st.st_mode):
                return  # a file where a folder should be: leave the image's choice alone
            nfd = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                          dir_fd=fd)
            os.close(fd)
            fd = nfd
    finally:
        os.close(fd)


def _create(fd: int, name: str, kind: str, target: str, st: os.stat_result | None) -> None:
    if st is not None:
        return
    if kind == "dir":
        os.mkdir(name, 0o755, dir_fd=fd)
    elif kind == "file":
        os.close(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                         | os.O_CLOEXEC, 0o755, dir_fd=fd))
    else:
        os.symlink(target, name, dir_fd=fd)


def _lstat(fd: int, name: str) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=fd, follow_symlinks=False)
    except FileNotFoundError:
        return None
