"""owns: the few Linux system calls Python 3.11 lacks, as typed wrappers over the C library.

mount(2)/umount2(2), the new mount API (fsopen/fsconfig/fsmount/move_mount, syscalls 429-432,
the same numbers on every architecture but alpha), unshare(2) (os.unshare is 3.12+) and the
FICLONE ioctl. Every failure raises OSError with the errno and the path involved.

They call the C library through the interpreter's `_ctypes` module itself (`call`), not the
`ctypes` package: importing ctypes makes ~40 classes (c_int ... c_wchar_p, the byte-order
structures), ~6.5 M instructions (~1.5 ms) of every cold command that mounts or unmounts
(`start`, `stop`), where four small classes do (issue 18). Integers go as a C long (a
variadic syscall() reads longs; every int argument here fits one), bytes as `char *`, None as
NULL. `libc()` is the ctypes library, for what needs ctypes' buffers (osutil/fs.py).
"""

from __future__ import annotations

import fcntl
import os

TYPE_CHECKING = False  # mypy honours the name
if TYPE_CHECKING:
    import ctypes
    from collections.abc import Callable
    from typing import Any

_LIBC: list[ctypes.CDLL] = []


def libc() -> ctypes.CDLL:
    """The C library through ctypes, loaded on first use: ctypes costs a short command a few
    ms of start-up that only a statfs needs."""
    if not _LIBC:
        import ctypes

        lib = ctypes.CDLL(None, use_errno=True)
        lib.syscall.restype = ctypes.c_long
        _LIBC.append(lib)
    return _LIBC[0]


class _Raw:
    """The `_ctypes` pieces `call` uses: a C long, functions returning a long (syscall) or an
    int (the others: the upper half of a long return register is not theirs) with errno
    kept, the process's own symbols (libc's), and the functions looked up so far."""

    def __init__(self) -> None:
        import _ctypes

        class CLong(_ctypes._SimpleCData):  # type: ignore[type-arg]
            _type_ = "l"

        class CInt(_ctypes._SimpleCData):  # type: ignore[type-arg]
            _type_ = "i"

        flags = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_USE_ERRNO

        class LongFunction(_ctypes.CFuncPtr):
            _flags_ = flags
            _restype_ = CLong

        class IntFunction(_ctypes.CFuncPtr):
            _flags_ = flags
            _restype_ = CInt

        class Library:
            _handle = _ctypes.dlopen(None, 0)  # type: ignore[arg-type]

        self.long: Callable[[int], object] = CLong
        self.kinds: dict[bool, Any] = {True: LongFunction, False: IntFunction}
        self.library = Library()
        self.functions: dict[str, Callable[..., int]] = {}

    def function(self, name: str) -> Callable[..., int]:
        found = self.functions.get(name)
        if found is None:
            found = self.functions[name] = self.kinds[name == "syscall"]((name, self.library))
        return found


_RAW: list[_Raw] = []


def call(name: str, *args: int | bytes | None) -> int:
    """`name(args...)` of the C library (ints as C longs); its return value (-1 and errno
    on failure, see `errno`)."""
    return function(name)(*args)


def function(name: str) -> Callable[..., int]:
    """`call` bound to `name`, looked up now: for a forked child that must not take the
    dynamic loader's lock (osutil/spawn.py)."""
    if not _RAW:
        _RAW.append(_Raw())
    raw = _RAW[0]
    fn, long = raw.function(name), raw.long
    return lambda *args: fn(*(long(a) if isinstance(a, int) else a for a in args))


def errno() -> int:
    """The errno the last `call` of this thread left."""
    import _ctypes

    return int(_ctypes.get_errno())


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
    if ret < 0:
        err = errno()
        raise OSError(err, f"{what}: {os.strerror(err)}", path)
    return ret


def _b(s: str | None) -> bytes | None:
    return None if s is None else os.fsencode(s)


def mount(source: str, target: str, fstype: str | None, flags: int = 0,
          data: str | None = None) -> None:
    """mount(2). `data` must fit in one page or the kernel truncates it."""
    _check(call("mount", _b(source), _b(target), _b(fstype), flags, _b(data)), "mount", target)


def umount2(target: str, flags: int = 0) -> None:
    """umount2(2); pass MNT_DETACH for a lazy unmount."""
    _check(call("umount2", _b(target), flags), "umount", target)


def unshare(flags: int) -> None:
    """unshare(2) for the calling thread (CLONE_FS gives it a private cwd)."""
    _check(call("unshare", flags), "unshare")


def fsopen(fstype: str, flags: int = FSOPEN_CLOEXEC) -> int:
    """fsopen(2): a filesystem context fd for `fstype`."""
    return _check(call("syscall", SYS_FSOPEN, _b(fstype), flags), "fsopen", fstype)


def fsconfig(fd: int, cmd: int, key: str | None = None, value: str | None = None,
             aux: int = 0) -> None:
    """fsconfig(2): set one parameter (SET_STRING/SET_FLAG) or run CMD_CREATE."""
    ret = call("syscall", SYS_FSCONFIG, fd, cmd, _b(key), _b(value), aux)
    _check(ret, "fsconfig", f"{key}={value}" if key else None)


def fsmount(fd: int, flags: int = FSMOUNT_CLOEXEC, attr_flags: int = 0) -> int:
    """fsmount(2): turn a created context into a detached mount; returns its fd."""
    return _check(call("syscall", SYS_FSMOUNT, fd, flags, attr_flags), "fsmount")


def move_mount(from_fd: int, target: str) -> None:
    """move_mount(2) the detached mount `from_fd` onto `target`."""
    ret = call("syscall", SYS_MOVE_MOUNT, from_fd, b"", AT_FDCWD, _b(target),
               MOVE_MOUNT_F_EMPTY_PATH)
    _check(ret, "move_mount", target)


def ficlone(dst_fd: int, src_fd: int) -> None:
    """Make `dst_fd` share `src_fd`'s extents (reflink); EOPNOTSUPP/EXDEV/EINVAL if it can't."""
    fcntl.ioctl(dst_fd, FICLONE, src_fd)


def page_size() -> int:
    return os.sysconf("SC_PAGE_SIZE")
