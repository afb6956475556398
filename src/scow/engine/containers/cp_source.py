"""owns: reading what `scow cp` copies out of a container (or off the host into one) as a tar,
through file descriptors only, so that a process inside the container cannot redirect the read
by swapping a folder for a symlink while it runs (CVE-2018-15664's class).

The rule: nothing below the starting point is ever named by a path the kernel walks again.
The source itself is resolved once, inside the container's root (openat2 RESOLVE_IN_ROOT);
then every entry is opened ``O_PATH | O_NOFOLLOW`` relative to its parent folder's fd, its kind
and attributes come from ``fstat`` of that fd, a folder is listed through an fd opened on
the same inode (``openat(fd, ".")``), a regular file is read through ``/proc/self/fd/N``
reopened from the checked fd (so a device node swapped in is never opened), a symlink's target
is read with ``readlinkat(fd, "")``. A name that vanished between listing and opening is left
out, as tar does.
"""

from __future__ import annotations

import os
import posixpath
import stat
from collections.abc import Iterator
from dataclasses import replace
from typing import BinaryIO, NamedTuple

from scow.archive.tarheader import Kind, TarHeader
from scow.archive.writer import TarWriter
from scow.errors import InvalidArgument, NotFound, ScowError, from_oserror
from scow.osutil.openat2 import open_in_root, reopen

CAPABILITY = "security.capability"
_PATH = os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC


class Source(NamedTuple):
    """An O_PATH fd of what to copy, its stat, and the name docker gives the copy."""
    fd: int
    st: os.stat_result
    base: str
    contents_only: bool  # SRC ended in "/.": copy what the folder holds, not the folder


def open_source(root_fd: int, path: str, *, follow: bool, shown: str) -> Source:
    """Resolve `path` inside the container root `root_fd`. Symlinks on the way are followed
    inside the root; the last one only with `follow` (docker cp -L) or a trailing ``/`` or
    ``/.``, as docker does."""
    clean = posixpath.normpath("/" + path.lstrip("/"))
    contents_only = path.endswith("/.") or path == "." or clean == "/"
    follow = follow or path.endswith("/") or contents_only
    parent, base = posixpath.split(clean)
    try:
        if follow:
            fd = open_in_root(root_fd, clean, os.O_PATH)
        else:
            pfd = open_in_root(root_fd, parent, os.O_PATH | os.O_DIRECTORY)
            try:
                fd = os.open(base, _PATH, dir_fd=pfd)
            finally:
                os.close(pfd)
        st = os.fstat(fd)
    except OSError as exc:
        raise _not_found(shown, exc) from exc
    if path.endswith("/") and not stat.S_ISDIR(st.st_mode):
        os.close(fd)
        raise InvalidArgument(f"copy {shown}: not a directory")
    return Source(fd, st, base or "/", contents_only and stat.S_ISDIR(st.st_mode))


def open_host_source(path: str, *, follow: bool) -> Source:
    """The host side of `scow cp SRC CONTAINER:DEST` (the host's own namespace, no root)."""
    clean = os.path.abspath(path)
    contents_only = path.endswith("/.") or path == "." or clean == "/"
    follow = follow or path.endswith("/") or contents_only
    try:
        fd = os.open(clean, os.O_PATH | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW))
        st = os.fstat(fd)
    except OSError as exc:
        raise _not_found(path, exc) from exc
    if path.endswith("/") and not stat.S_ISDIR(st.st_mode):
        os.close(fd)
        raise InvalidArgument(f"copy {path}: not a directory")
    return Source(fd, st, os.path.basename(clean) or "/", contents_only and
                  stat.S_ISDIR(st.st_mode))


def _not_found(shown: str, exc: OSError) -> ScowError:
    if isinstance(exc, (FileNotFoundError, NotADirectoryError)):
        return NotFound(f"copy {shown}: no such file or directory")
    return from_oserror(f"copy {shown}", exc)


def write_source(out: BinaryIO, src: Source, arcname: str, *,
                 ids: tuple[int, int] | None) -> None:
    """Tar `src` into `out` named `arcname` (a folder's contents at the top when `arcname` is
    empty); every uid/gid becomes `ids` unless it is None (``cp -a``)."""
    walker = _FdWalker(TarWriter(out), ids)
    walker.walk(src.fd, src.st, arcname)
    walker.writer.close()


class _FdWalker:
    """Depth first in moby's order (a folder, then its entries sorted by name), without
    recursion (a container may nest folders deeper than the Python stack); one fd per level."""

    def __init__(self, writer: TarWriter, ids: tuple[int, int] | None) -> None:
        self.writer = writer
        self.ids = ids
        self.seen: dict[tuple[int, int], str] = {}

    def walk(self, fd: int, st: os.stat_result, arcname: str) -> None:
        stack: list[tuple[int, str, Iterator[str]]] = []  # (folder fd, its name, names left)
        try:
            self._entry(fd, st, arcname, stack)
            while stack:
                dfd, prefix, names = stack[-1]
                name = next(names, None)
                if name is None:
                    os.close(stack.pop()[0])
                    continue
                try:
                    cfd = os.open(name, _PATH, dir_fd=dfd)
                except FileNotFoundError:
                    continue  # removed since the folder was listed
                try:
                    self._entry(cfd, os.fstat(cfd), posixpath.join(prefix, name), stack)
                finally:
                    os.close(cfd)
        finally:
            for dfd, _, _ in stack:
                os.close(dfd)

    def _entry(self, fd: int, st: os.stat_result, arcname: str,
               stack: list[tuple[int, str, Iterator[str]]]) -> None:
        """One entry from its O_PATH fd (never by name); a folder is pushed onto `stack`."""
        mode = st.st_mode
        try:
            if stat.S_ISDIR(mode):
                dfd = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=fd)
                stack.append((dfd, arcname, iter(())))
                if arcname:
                    self._add(self._header(st, arcname, Kind.DIR, fd=dfd))
                stack[-1] = (dfd, arcname, iter(sorted(os.listdir(dfd), key=os.fsencode)))
            elif stat.S_ISREG(mode):
                self._file(fd, st, arcname)
            elif stat.S_ISLNK(mode):
                self._add(self._header(st, arcname, Kind.SYMLINK,
                                       linkname=os.readlink("", dir_fd=fd)))
            elif not stat.S_ISSOCK(mode):
                self._add(self._device(st, arcname))
        except ScowError:
            raise
        except BrokenPipeError:
            raise  # the reading side stopped: its error is the one to tell
        except OSError as exc:
            raise from_oserror(f"copy: read {arcname or '.'}", exc) from exc

    def _file(self, fd: int, st: os.stat_result, arcname: str) -> None:
        if st.st_nlink > 1:
            first = self.seen.setdefault((st.st_dev, st.st_ino), arcname)
            if first != arcname:
                self._add(self._header(st, arcname, Kind.HARDLINK, linkname=first))
                return
        rfd = reopen(fd, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
        with os.fdopen(rfd, "rb") as f:
            again = os.fstat(rfd)
            if (again.st_dev, again.st_ino) != (st.st_dev, st.st_ino):
                raise InvalidArgument(f"copy: read {arcname}: file changed while copying")
            h = self._header(st, arcname, Kind.REG, fd=rfd)
            self._add(replace(h, size=st.st_size), f)

    def _device(self, st: os.stat_result, arcname: str) -> TarHeader:
        if stat.S_ISFIFO(st.st_mode):
            return self._header(st, arcname, Kind.FIFO)
        kind = Kind.CHAR if stat.S_ISCHR(st.st_mode) else Kind.BLOCK
        return replace(self._header(st, arcname, kind), devmajor=os.major(st.st_rdev),
                       devminor=os.minor(st.st_rdev))

    def _header(self, st: os.stat_result, arcname: str, kind: Kind, *, fd: int = -1,
                linkname: str = "") -> TarHeader:
        uid, gid = self.ids if self.ids is not None else (st.st_uid, st.st_gid)
        cap = _capability(fd) if fd >= 0 else None
        return TarHeader(name=arcname or ".", kind=kind, mode=stat.S_IMODE(st.st_mode),
                         uid=uid, gid=gid, size=0, mtime=st.st_mtime_ns // 1_000_000_000,
                         linkname=linkname, xattrs={CAPABILITY: cap} if cap else {})

    def _add(self, h: TarHeader, data: BinaryIO | None = None) -> None:
        self.writer.add(h, data)


def _capability(fd: int) -> bytes | None:
    """security.capability of an open file, v3 (with a root id) written as v2, as moby does."""
    try:
        value = os.getxattr(fd, CAPABILITY)
    except OSError:
        return None
    magic = int.from_bytes(value[:4], "little")
    if magic & 0xFF000000 == 0x03000000 and len(value) >= 20:
        value = ((magic & ~0xFF000000) | 0x02000000).to_bytes(4, "little") + value[4:20]
    return value
