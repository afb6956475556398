"""owns: whole-tree filesystem work: what a folder is stored on, d_type support, a faithful
tree copy (the vfs driver's layer copy), and removal of trees that may hold mounts or immutable
files. Tree sizes as docker counts them are osutil/treesize.py's.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import struct
from collections.abc import Iterator

from scow.osutil import mounts, syscalls

TYPE_CHECKING = False  # mypy honours the name; ctypes and shutil load where used (start-up)
if TYPE_CHECKING:
    import ctypes

# statfs f_type magics, named as `docker info` prints them (moby graphdriver FsNames)
FS_NAMES: dict[int, str] = {
    0x61756673: "aufs", 0x9123683E: "btrfs", 0x28CD3D45: "cramfs", 0x0000F15F: "ecryptfs",
    0x0000EF53: "extfs", 0xF2F52010: "f2fs", 0x47504653: "gpfs", 0x000072B6: "jffs2",
    0x3153464A: "jfs", 0x00006969: "nfs", 0x858458F6: "ramfs", 0x52654973: "reiserfs",
    0x0000517B: "smb", 0x73717368: "squashfs", 0x01021994: "tmpfs", 0xA501FCF5: "vxfs",
    0x58465342: "xfs", 0x2FC12FC1: "zfs", 0x794C7630: "overlayfs", 0x65735546: "fuse",
    0x00C36400: "ceph", 0xFF534D42: "cifs",
}

_DIRLIB: list[ctypes.CDLL] = []


def _dirlib() -> ctypes.CDLL:
    """The C library with opendir/readdir typed, loaded on first use (ctypes: start-up)."""
    if not _DIRLIB:
        import ctypes

        lib = ctypes.CDLL(None, use_errno=True)
        lib.opendir.restype = ctypes.c_void_p
        lib.readdir.restype = ctypes.c_void_p
        lib.readdir.argtypes = [ctypes.c_void_p]
        lib.closedir.argtypes = [ctypes.c_void_p]
        _DIRLIB.append(lib)
    return _DIRLIB[0]
_DT_UNKNOWN = 0
_DIRENT_TYPE_OFFSET = 18  # glibc 64-bit struct dirent: ino(8) off(8) reclen(2) type(1) name

_FS_IOC_GETFLAGS = 0x80086601
_FS_IOC_SETFLAGS = 0x40086602
_FS_IMMUTABLE_FL = 0x10
_FS_APPEND_FL = 0x20


def fs_magic(path: str) -> int:
    """statfs(path).f_type."""
    import ctypes

    buf = ctypes.create_string_buffer(256)
    if syscalls.libc().statfs(os.fsencode(path), buf) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), path)
    return int(ctypes.c_ulong.from_buffer(buf).value) & 0xFFFFFFFF


def backing_filesystem(path: str) -> str:
    """The filesystem under `path` as `docker info` names it ("extfs", "xfs", "btrfs", ...)."""
    return FS_NAMES.get(fs_magic(path), "<unknown>")


@contextlib.contextmanager
def scratch_dir(parent: str, prefix: str) -> Iterator[str]:
    """A temporary folder in `parent` named `<prefix><pid>-<random>`, removed after the block;
    those a killed process left (its pid is gone) are removed first, mounts under them too."""
    os.makedirs(parent, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        for name in os.listdir(parent):
            pid = name[len(prefix):].split("-", 1)[0] if name.startswith(prefix) else ""
            if pid.isdigit() and int(pid) != os.getpid() and not process_alive(int(pid)):
                remove_tree(os.path.join(parent, name))
    import tempfile  # only here: tempfile loads random and weakref (start-up)

    folder = tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=parent)
    try:
        yield folder
    finally:
        remove_tree(folder)


def process_alive(pid: int) -> bool:
    """Whether a process `pid` exists (one of another user counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def supports_d_type(path: str) -> bool:
    """Whether readdir under `path` reports file types (overlayfs needs it; xfs ftype=0 doesn't)."""
    import ctypes

    lib = _dirlib()
    with scratch_dir(path, ".d_type-check-") as probe:
        open(os.path.join(probe, "f"), "wb").close()
        handle = lib.opendir(os.fsencode(probe))
        if not handle:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err), probe)
        try:
            while True:
                ent = lib.readdir(handle)
                if not ent:
                    return True
                name = ctypes.string_at(ent + _DIRENT_TYPE_OFFSET + 1)
                if name == b"f":
                    return ctypes.c_ubyte.from_address(ent + _DIRENT_TYPE_OFFSET).value \
                        != _DT_UNKNOWN
        finally:
            lib.closedir(handle)


# -- copy --------------------------------------------------------------------------------------
class _CopyState:  # a plain class: dataclasses loads inspect, ast and dis (start-up)
    def __init__(self) -> None:
        self.reflink = True
        self.copy_range = True
        self.links: dict[tuple[int, int], str] = {}


def copy_tree(src: str, dst: str) -> None:
    """Copy the tree `src` into `dst` (created if missing) keeping everything a layer holds:
    hardlinks (by dev, ino), symlinks, fifos, sockets, device nodes, owners, modes with
    setuid/sticky, every xattr (trusted.overlay.* included) and atime/mtime (folders last).
    File data is reflinked when the filesystem can, else copied in the kernel, else in Python;
    each faster way is dropped for the rest of the copy after it fails with EXDEV/EOPNOTSUPP.
    """
    st = os.lstat(src)
    if not stat.S_ISDIR(st.st_mode):
        raise NotADirectoryError(errno.ENOTDIR, "not a directory", src)
    os.makedirs(dst, exist_ok=True)
    _copy_dir(src, dst, _CopyState())
    _copy_meta(src, dst, st)


def _copy_dir(src: str, dst: str, state: _CopyState) -> None:
    with os.scandir(src) as it:
        entries = sorted(it, key=lambda e: e.name)
    for entry in entries:
        s, d = entry.path, os.path.join(dst, entry.name)
        st = entry.stat(follow_symlinks=False)
        mode = st.st_mode
        if stat.S_ISDIR(mode):
            os.mkdir(d, 0o700)
            _copy_dir(s, d, state)
            _copy_meta(s, d, st)
            continue
        key = (st.st_dev, st.st_ino)
        if st.st_nlink > 1 and key in state.links:
            os.link(state.links[key], d)
            continue
        if stat.S_ISREG(mode):
            _copy_file(s, d, state)
        elif stat.S_ISLNK(mode):
            os.symlink(os.readlink(s), d)
        elif stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISCHR(mode) \
                or stat.S_ISBLK(mode):
            os.mknod(d, mode, st.st_rdev)
        else:
            raise OSError(errno.EINVAL, "unknown file type", s)
        _copy_meta(s, d, st)
        if st.st_nlink > 1:
            state.links[key] = d


def _copy_file(src: str, dst: str, state: _CopyState) -> None:
    with open(src, "rb") as fin, open(dst, "xb") as fout:
        if state.reflink:
            try:
                syscalls.ficlone(fout.fileno(), fin.fileno())
                return
            except OSError as exc:
                if exc.errno not in (errno.EXDEV, errno.EOPNOTSUPP, errno.EINVAL,
                                     errno.ENOTTY, errno.ENOSYS):
                    raise
                state.reflink = False
        if state.copy_range:
            try:
                while os.copy_file_range(fin.fileno(), fout.fileno(), 1 << 30):
                    pass
                return
            except OSError as exc:
                if exc.errno not in (errno.EXDEV, errno.EOPNOTSUPP, errno.EINVAL,
                                     errno.ENOSYS):
                    raise
                state.copy_range = False
                fin.seek(0)
                fout.seek(0)
                fout.truncate()
        import shutil

        shutil.copyfileobj(fin, fout, 1 << 20)


def _copy_meta(src: str, dst: str, st: os.stat_result) -> None:
    """Owner, xattrs, mode, times, in the order that keeps each: chown clears setuid bits and
    security.capability, so it goes first; chmod after the xattrs; times last."""
    from scow.osutil.xattrs import copy_xattrs  # loaded by a copy only (start-up)

    os.chown(dst, st.st_uid, st.st_gid, follow_symlinks=False)
    copy_xattrs(src, dst)
    if not stat.S_ISLNK(st.st_mode):
        os.chmod(dst, stat.S_IMODE(st.st_mode))
    os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)


# -- sizes and removal -------------------------------------------------------------------------
def _clear_inode_flags(path: str) -> None:
    """chattr -i -a on `path` (best effort; not every filesystem has the flags)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            buf = bytearray(struct.pack("l", 0))
            fcntl.ioctl(fd, _FS_IOC_GETFLAGS, buf)
            flags = struct.unpack("l", buf)[0]
            if flags & (_FS_IMMUTABLE_FL | _FS_APPEND_FL):
                flags &= ~(_FS_IMMUTABLE_FL | _FS_APPEND_FL)
                fcntl.ioctl(fd, _FS_IOC_SETFLAGS, struct.pack("l", flags))
        finally:
            os.close(fd)


def remove_tree(path: str) -> None:
    """Remove `path` and everything in it; a missing path is fine. Mounts under it are
    detached first; immutable/append-only files and read-only folders are made removable."""
    if not os.path.lexists(path):
        return
    mounts.unmount_all_under(path)
    from scow.osutil.at import remove_tree_quietly

    remove_tree_quietly(path)  # the common tree: no shutil (bz2, lzma, fnmatch) for `rm`
    if not os.path.lexists(path):
        return
    import shutil  # what stayed: immutable or read-only entries, a mount that came back

    def retry(func: object, failed: str, exc: BaseException) -> None:
        if isinstance(exc, FileNotFoundError):
            return
        if isinstance(exc, OSError) and exc.errno == errno.EBUSY:
            mounts.unmount_all_under(failed)
        parent = os.path.dirname(failed)
        for p in (parent, failed):
            _clear_inode_flags(p)
            with contextlib.suppress(OSError):
                os.chmod(p, 0o700, follow_symlinks=False)
        if os.path.isdir(failed) and not os.path.islink(failed):
            shutil.rmtree(failed)
        else:
            os.unlink(failed)

    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, onerror=lambda func, failed, info: retry(func, failed, info[1]))
    else:
        os.unlink(path)
