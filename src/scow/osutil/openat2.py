"""owns: the openat2(2) syscall (Linux 5.6+), for path resolution that the kernel confines to
a directory (through scow.osutil.syscalls.call: no ctypes package; `struct open_how` is its
three u64 fields in the machine's byte order).

``open_in_root(root_fd, path, flags)`` resolves `path` as if `root_fd` were ``/``
(RESOLVE_IN_ROOT: ``..`` and absolute symlinks are clamped at the root, magic links refused).
``open_beneath(root_fd, path, flags)`` refuses any escape instead of clamping (RESOLVE_BENEATH:
an absolute symlink or a ``..`` above the root fails with EXDEV).
``reopen(path_fd, flags)`` opens again the inode an O_PATH fd holds (through its
``/proc/self/fd`` magic link: no name is looked up), so that a file checked with ``fstat`` is
the one read.
"""

from __future__ import annotations

import errno
import os
import sys

from scow.osutil import syscalls

SYS_OPENAT2 = 437  # x86_64 and aarch64 share this number
RESOLVE_NO_XDEV = 0x01
RESOLVE_NO_MAGICLINKS = 0x02
RESOLVE_NO_SYMLINKS = 0x04
RESOLVE_BENEATH = 0x08
RESOLVE_IN_ROOT = 0x10


_supported: bool | None = None


def openat2(dir_fd: int, path: str, flags: int, mode: int = 0, resolve: int = 0) -> int:
    """The raw syscall; returns a new fd (O_CLOEXEC added) or raises OSError."""
    how = b"".join(v.to_bytes(8, sys.byteorder) for v in (flags | os.O_CLOEXEC, mode, resolve))
    raw = os.fsencode(path)
    for _ in range(16):  # EAGAIN: a concurrent rename raced the lookup; retry
        fd = syscalls.call("syscall", SYS_OPENAT2, dir_fd, raw, how, len(how))
        if fd >= 0:
            return int(fd)
        err = syscalls.errno()
        if err != errno.EAGAIN:
            raise OSError(err, os.strerror(err), path)
    raise OSError(errno.EAGAIN, os.strerror(errno.EAGAIN), path)


def open_in_root(root_fd: int, path: str, flags: int, mode: int = 0) -> int:
    """Open `path` with `root_fd` acting as ``/`` (chroot semantics, no magic links)."""
    return openat2(root_fd, path, flags, mode, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)


def open_beneath(root_fd: int, path: str, flags: int, mode: int = 0) -> int:
    """Open `path` under `root_fd`, failing with EXDEV on any attempt to leave it."""
    return openat2(root_fd, path, flags, mode, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)


def resolve_in_root_supported() -> bool:
    """Whether the running kernel has openat2 (Linux >= 5.6)."""
    global _supported
    if _supported is None:
        try:
            os.close(openat2(-100, "/", os.O_PATH | os.O_DIRECTORY, 0, RESOLVE_IN_ROOT))
            _supported = True
        except OSError:
            _supported = False
    return _supported


def reopen(path_fd: int, flags: int) -> int:
    """Open again the very inode an O_PATH fd holds, with real access `flags`, through its
    ``/proc/self/fd`` magic link (no name is looked up: a file swapped in since is not met)."""
    return os.open(f"/proc/self/fd/{path_fd}", flags | os.O_CLOEXEC)
