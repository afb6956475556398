"""owns: the btrfs ioctls scow needs, as typed wrappers (linux/btrfs.h; magic 0x94).

- ``create_subvolume(path)``: BTRFS_IOC_SUBVOL_CREATE, an empty subvolume at `path`.
- ``snapshot(source, path)``: BTRFS_IOC_SNAP_CREATE_V2, a writable snapshot of the subvolume
  `source` at `path` (O(1); every block is shared until written).
- ``destroy_subvolume(path)``: BTRFS_IOC_SNAP_DESTROY, nested subvolumes first (the kernel
  refuses to destroy a subvolume that holds another with ENOTEMPTY).
- ``is_subvolume(path)``: a directory whose inode is 256 (BTRFS_FIRST_FREE_OBJECTID) on btrfs.

The argument structs are both 4096 bytes: ``btrfs_ioctl_vol_args {s64 fd; char name[4088]}``
and ``btrfs_ioctl_vol_args_v2 {s64 fd; u64 transid; u64 flags; u64 unused[4];
char name[4040]}``. Every call works on an fd of the folder that holds the subvolume, with the
subvolume's name (no slash) in the struct. Failures raise OSError with the path.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import struct
from collections.abc import Iterator

BTRFS_SUPER_MAGIC = 0x9123683E
FIRST_FREE_OBJECTID = 256  # the inode number of every subvolume's root folder

_ARGS_SIZE = 4096
_NAME_MAX = 4087  # vol_args: name[4088] incl. NUL
_SUBVOL_NAME_MAX = 4039  # vol_args_v2: name[4040] incl. NUL


def _iow(nr: int, size: int) -> int:
    return (1 << 30) | (size << 16) | (0x94 << 8) | nr


IOC_SUBVOL_CREATE = _iow(14, _ARGS_SIZE)
IOC_SNAP_DESTROY = _iow(15, _ARGS_SIZE)
IOC_SNAP_CREATE_V2 = _iow(23, _ARGS_SIZE)


@contextlib.contextmanager
def _dir_fd(path: str) -> Iterator[int]:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        yield fd
    finally:
        os.close(fd)


def _split(path: str, limit: int) -> tuple[str, bytes]:
    parent, name = os.path.split(os.path.abspath(path))
    raw = os.fsencode(name)
    if not raw or len(raw) > limit:
        raise OSError(22, "invalid subvolume name", path)
    return parent, raw


def _vol_args(fd: int, name: bytes) -> bytearray:
    buf = bytearray(_ARGS_SIZE)
    struct.pack_into("q", buf, 0, fd)
    buf[8:8 + len(name)] = name
    return buf


def _ioctl(fd: int, request: int, buf: bytearray, what: str, path: str) -> None:
    try:
        fcntl.ioctl(fd, request, buf, True)
    except OSError as exc:
        raise OSError(exc.errno, f"{what}: {os.strerror(exc.errno or 0)}", path) from None


def create_subvolume(path: str) -> None:
    """An empty subvolume at `path` (its parent folder must exist on btrfs)."""
    parent, name = _split(path, _NAME_MAX)
    with _dir_fd(parent) as fd:
        _ioctl(fd, IOC_SUBVOL_CREATE, _vol_args(0, name), "create subvolume", path)


def snapshot(source: str, path: str, *, readonly: bool = False) -> None:
    """A snapshot of the subvolume `source` at `path` (writable unless `readonly`)."""
    parent, name = _split(path, _SUBVOL_NAME_MAX)
    with _dir_fd(source) as src, _dir_fd(parent) as fd:
        buf = bytearray(_ARGS_SIZE)
        struct.pack_into("qQQ", buf, 0, src, 0, 1 << 1 if readonly else 0)  # SUBVOL_RDONLY
        buf[56:56 + len(name)] = name
        _ioctl(fd, IOC_SNAP_CREATE_V2, buf, "snapshot subvolume", path)


def is_subvolume(path: str) -> bool:
    """Whether `path` is the root folder of a btrfs subvolume."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_ino == FIRST_FREE_OBJECTID


def nested_subvolumes(path: str) -> list[str]:
    """Subvolumes inside the subvolume `path` (not `path` itself), outermost first. Only
    folders can be subvolume roots (readdir's d_ino names the subvolume's tree there, so the
    inode is read with lstat)."""
    found: list[str] = []
    stack = [path]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as it:
                entries = [e for e in it if e.is_dir(follow_symlinks=False)]
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            if entry.stat(follow_symlinks=False).st_ino == FIRST_FREE_OBJECTID:
                found.append(entry.path)
            stack.append(entry.path)
    return found


def destroy_subvolume(path: str) -> None:
    """Destroy the subvolume `path` and every subvolume nested in it (deepest first)."""
    parent, name = _split(path, _NAME_MAX)
    with _dir_fd(parent) as fd:
        try:
            _ioctl(fd, IOC_SNAP_DESTROY, _vol_args(0, name), "destroy subvolume", path)
            return
        except OSError as exc:
            if exc.errno != 39:  # ENOTEMPTY: it holds another subvolume
                raise
        for nested in reversed(nested_subvolumes(path)):
            destroy_subvolume(nested)
        _ioctl(fd, IOC_SNAP_DESTROY, _vol_args(0, name), "destroy subvolume", path)
