"""owns: the few Linux system calls Python 3.11 lacks, as typed ctypes wrappers.

mount(2)/umount2(2), the new mount API (fsopen/fsconfig/fsmount/move_mount, syscalls 429-432,
the same numbers on every architecture but alpha), unshare(2) (os.unshare is 3.12+) and the
FICLONE ioctl. Every failure raises OSError with the errno and the path involved.
"""

from __future__ import annotations

import fcntl
import os

TYPE_CHECKING = False  # mypy honours the name
if TYPE_CHECKING:
    import ctypes

_LIBC: list[ctypes.CDLL] = []


def libc() -> ctypes.CDLL:
    """The C library, loaded on first use: ctypes costs a short command (`create`, `rm`) a few
    ms of start-up that only a mount or a statfs needs."""
    if not _LIBC:
        import ctypes

        lib = ctypes.CDLL(None, use_errno=True)
        lib.syscall.restype = ctypes.c_long
        _LIBC.append(lib)
    return _LIBC[0]

# mount(2) flags
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18

# umount2(2) flags
MNT_FORCE = 1
MNT_DETACH = 2

# unshare(2) flags
CLONE_FS = 0x00000200
CLONE_NEWNS = 0x00020000

# the new mount API
SYS_MOVE_MOUNT = 429
SYS_FSOPEN = 430
SYS_FSCONFIG = 431
SYS_FSMOUNT = 432
FSOPEN_CLOEXEC = 1
FSMOUNT_CLOEXEC = 1
FSCONFIG_SET_FLAG = 0
FSCONFIG_SET_STRING = 1
FSCONFIG_CMD_CREATE = 6
MOVE_MOUNT_F_EMPTY_PATH = 4
MOUNT_ATTR_RDONLY = 1
AT_FDCWD = -100

FICLONE = 0x40049409


def _check(ret: int, what: str, path: str | None = None) -> int:
    import ctypes

    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}", path)
    return ret


def _b(s: str | None) -> bytes | None:
    return None if s is None else os.fsencode(s)


def mount(source: str, target: str, fstype: str | None, flags: int = 0,
          data: str | None = None) -> None:
    """mount(2). `data` must fit in one page or the kernel truncates it."""
    import ctypes

    ret = libc().mount(_b(source), _b(target), _b(fstype), ctypes.c_ulong(flags), _b(data))
    _check(ret, "mount", target)


def umount2(target: str, flags: int = 0) -> None:
    """umount2(2); pass MNT_DETACH for a lazy unmount."""
    import ctypes

    _check(libc().umount2(_b(target), ctypes.c_int(flags)), "umount", target)


def unshare(flags: int) -> None:
    """unshare(2) for the calling thread (CLONE_FS gives it a private cwd)."""
    import ctypes

    _check(libc().unshare(ctypes.c_int(flags)), "unshare")


def fsopen(fstype: str, flags: int = FSOPEN_CLOEXEC) -> int:
    """fsopen(2): a filesystem context fd for `fstype`."""
    import ctypes

    ret = libc().syscall(ctypes.c_long(SYS_FSOPEN), _b(fstype), ctypes.c_uint(flags))
    return _check(ret, "fsopen", fstype)


def fsconfig(fd: int, cmd: int, key: str | None = None, value: str | None = None,
             aux: int = 0) -> None:
    """fsconfig(2): set one parameter (SET_STRING/SET_FLAG) or run CMD_CREATE."""
    import ctypes

    ret = libc().syscall(ctypes.c_long(SYS_FSCONFIG), ctypes.c_int(fd), ctypes.c_uint(cmd),
                        _b(key), _b(value), ctypes.c_int(aux))
    _check(ret, "fsconfig", f"{key}={value}" if key else None)


def fsmount(fd: int, flags: int = FSMOUNT_CLOEXEC, attr_flags: int = 0) -> int:
    """fsmount(2): turn a created context into a detached mount; returns its fd."""
    import ctypes

    ret = libc().syscall(ctypes.c_long(SYS_FSMOUNT), ctypes.c_int(fd), ctypes.c_uint(flags),
                        ctypes.c_uint(attr_flags))
    return _check(ret, "fsmount")


def move_mount(from_fd: int, target: str) -> None:
    """move_mount(2) the detached mount `from_fd` onto `target`."""
    import ctypes

    ret = libc().syscall(ctypes.c_long(SYS_MOVE_MOUNT), ctypes.c_int(from_fd), b"",
                        ctypes.c_int(AT_FDCWD), _b(target),
                        ctypes.c_uint(MOVE_MOUNT_F_EMPTY_PATH))
    _check(ret, "move_mount", target)


def ficlone(dst_fd: int, src_fd: int) -> None:
    """Make `dst_fd` share `src_fd`'s extents (reflink); EOPNOTSUPP/EXDEV/EINVAL if it can't."""
    fcntl.ioctl(dst_fd, FICLONE, src_fd)


def page_size() -> int:
    return os.sysconf("SC_PAGE_SIZE")
