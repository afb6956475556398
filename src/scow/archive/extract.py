"""owns: applying a layer's entries onto a folder without ever writing outside it.

Every entry is created relative to an fd of its parent directory. Parents are resolved inside
the root: first by the kernel (openat2 RESOLVE_BENEATH), and when that refuses (an absolute
symlink such as ``var/run -> /run``, or a missing parent) by a walk in user space with chroot
semantics: an absolute symlink restarts at the root, a ``..`` that would climb above the root is
a breakout (UnsafeArchive, as moby's os.Root does), at most 255 links, missing parents are made
0755. The last component is never followed. Whiteouts are applied in OCI form (delete),
turned into overlayfs form (char device 0/0, ``trusted.overlay.opaque=y``) or, for what is not
a layer (``scow cp``), not interpreted at all (``.wh.`` names are plain files).

The root is a path or an fd of the folder (``scow cp`` hands the fd it resolved, so that no
name is looked up again). A folder to replace is removed through fds (``openat`` with
``O_NOFOLLOW``, ``unlinkat``), never by a path.
"""

from __future__ import annotations

import errno
import os
import posixpath
import stat
from collections import deque
from collections.abc import Iterable
from typing import Literal

from scow.archive.tarheader import Kind, TarHeader, clean_name
from scow.archive.tarstream import TarEntry
from scow.errors import MalformedArchive, ScowError, UnsafeArchive, from_oserror
from scow.osutil.at import remove_tree_at
from scow.osutil.openat2 import open_beneath, resolve_in_root_supported

Whiteouts = Literal["overlay", "oci", "none"]
WHITEOUT_PREFIX = ".wh."
OPAQUE = ".wh..wh..opq"
OPAQUE_XATTR = "trusted.overlay.opaque"
MAX_LINKS = 255
_DIR_PATH = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_TOLERATED_XATTR = (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP)
_DEVICE_BITS = {Kind.CHAR: stat.S_IFCHR, Kind.BLOCK: stat.S_IFBLK, Kind.FIFO: stat.S_IFIFO}


def is_local(name: str) -> bool:
    """Go's filepath.IsLocal for a cleaned slash path."""
    return bool(name) and not name.startswith("/") and name != ".." and not name.startswith("../")


def apply_layer(root: str | int, entries: Iterable[TarEntry], *, whiteouts: Whiteouts) -> int:
    """Extract `entries` under `root` (a path or a folder's fd, which stays the caller's);
    returns the sum of the entries' sizes."""
    applier = _Applier(root, whiteouts)
    try:
        total = 0
        for entry in entries:
            total += applier.apply(entry)
        applier.finish()
        return total
    finally:
        applier.close()


def _ns(mtime: float) -> tuple[int, int]:
    ns = int(round(mtime * 1e9)) if mtime > 0 else 0
    return ns, ns


class _Applier:
    def __init__(self, root: str | int, whiteouts: Whiteouts) -> None:
        if whiteouts not in ("overlay", "oci", "none"):
            raise ValueError(f"unknown whiteout format {whiteouts!r}")
        self.whiteouts = whiteouts
        try:
            if isinstance(root, int):
                self.root_fd = os.open(".", _DIR_PATH, dir_fd=root)
            else:
                self.root_fd = os.open(root, _DIR_PATH)
        except OSError as exc:
            raise from_oserror(f"apply layer: open {root}", exc) from exc
        self.kernel = resolve_in_root_supported()
        self.umask = os.umask(0)
        self.cache_path: str | None = None
        self.cache_fd = -1
        self.keep: set[str] = set()  # names written by this layer and their ancestors
        self.dir_times: list[tuple[str, float]] = []

    def close(self) -> None:
        os.umask(self.umask)
        self._drop_cache()
        os.close(self.root_fd)

    def _drop_cache(self) -> None:
        if self.cache_fd >= 0:
            os.close(self.cache_fd)
        self.cache_path, self.cache_fd = None, -1

    # -- per entry --------------------------------------------------------------------------
    def apply(self, entry: TarEntry) -> int:
        h = entry.header
        name = h.name
        if name == ".":
            return h.size
        if not is_local(name):
            raise UnsafeArchive(f"apply layer: {name}: path escapes the layer root")
        parent, base = posixpath.split(name)
        try:
            if base.startswith(WHITEOUT_PREFIX) and self.whiteouts != "none":
                self._whiteout(h, parent, base)
            else:
                self._create(entry, parent, base)
        except ScowError:
            raise
        except OSError as exc:
            raise from_oserror(f"apply layer: write {name}", exc) from exc
        return h.size

    def _mark(self, name: str) -> None:
        while name and name not in self.keep:
            self.keep.add(name)
            name = posixpath.dirname(name)

    def _create(self, entry: TarEntry, parent: str, base: str) -> None:
        h = entry.header
        pfd = self._parent(parent)
        self._mark(h.name)
        try:
            self._node(entry, pfd, base)  # creation comes first: EEXIST has no side effect
        except FileExistsError:
            st = os.stat(base, dir_fd=pfd, follow_symlinks=False)
            if h.kind is Kind.DIR and stat.S_ISDIR(st.st_mode):
                self._dir_attrs(h, pfd, base)  # dir over dir: keep, update attributes
                return
            self._remove(pfd, base, st)  # may close the cached parent fd: resolve again
            self._node(entry, self._parent(parent), base)

    def _node(self, entry: TarEntry, pfd: int, base: str) -> None:
        h = entry.header
        if h.kind is Kind.REG:
            self._regular(entry, pfd, base)
        elif h.kind is Kind.DIR:
            os.mkdir(base, 0o700, dir_fd=pfd)
            self._dir_attrs(h, pfd, base)
        elif h.kind is Kind.SYMLINK:
            os.symlink(h.linkname, base, dir_fd=pfd)
            self._attrs_at(pfd, base, h, chmod=False)
        elif h.kind is Kind.HARDLINK:
            self._hardlink(h, pfd, base)
        else:
            self._device(h, pfd, base)

    def _dir_attrs(self, h: TarHeader, pfd: int, base: str) -> None:
        fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                     dir_fd=pfd)
        try:
            self._attrs_fd(fd, h)
        finally:
            os.close(fd)
        self.dir_times.append((h.name, h.mtime))

    def _regular(self, entry: TarEntry, pfd: int, base: str) -> None:
        fd = os.open(base, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                     0o600, dir_fd=pfd)
        try:
            write = os.write
            for chunk in entry.chunks():
                while chunk:
                    chunk = chunk[write(fd, chunk):]
            self._attrs_fd(fd, entry.header)
            os.utime(fd, ns=_ns(entry.header.mtime))
        finally:
            os.close(fd)

    def _hardlink(self, h: TarHeader, pfd: int, base: str) -> None:
        target = clean_name(h.linkname)
        if not is_local(target) or target == ".":
            raise UnsafeArchive(f"apply layer: {h.name}: hardlink target {h.linkname} "
                                "escapes the layer root")
        tparent, tbase = posixpath.split(target)
        tfd = self._resolve(tparent, create=False, what=h.name)
        try:
            os.link(tbase, base, src_dir_fd=tfd, dst_dir_fd=pfd, follow_symlinks=False)
        finally:
            if tfd != self.root_fd:
                os.close(tfd)
        self._attrs_at(pfd, base, h, chmod=True, times=False)

    def _device(self, h: TarHeader, pfd: int, base: str) -> None:
        if not (0 <= h.devmajor <= 0xFFFFFFFF and 0 <= h.devminor <= 0xFFFFFFFF):
            raise MalformedArchive(f"apply layer: {h.name}: device number out of range")
        os.mknod(base, _DEVICE_BITS[h.kind] | (h.mode & 0o777),
                 os.makedev(h.devmajor, h.devminor), dir_fd=pfd)
        self._attrs_at(pfd, base, h, chmod=True)

    def _remove(self, pfd: int, base: str, st: os.stat_result) -> None:
        if stat.S_ISDIR(st.st_mode):
            remove_tree_at(pfd, base)
            self._drop_cache()
        else:
            os.unlink(base, dir_fd=pfd)
            if stat.S_ISLNK(st.st_mode):
                self._drop_cache()

    # -- attributes -------------------------------------------------------------------------
    def _attrs_fd(self, fd: int, h: TarHeader) -> None:
        os.fchown(fd, h.uid, h.gid)
        for key, value in h.xattrs.items():
            try:
                os.setxattr(fd, key, value)
            except OSError as exc:
                if exc.errno not in _TOLERATED_XATTR:
                    raise
        os.fchmod(fd, h.mode)

    def _attrs_at(self, pfd: int, base: str, h: TarHeader, *, chmod: bool,
                  times: bool = True) -> None:
        os.chown(base, h.uid, h.gid, dir_fd=pfd, follow_symlinks=False)
        if h.xattrs:
            path = f"/proc/self/fd/{pfd}/{base}"
            for key, value in h.xattrs.items():
                try:
                    os.setxattr(path, key, value, follow_symlinks=False)
                except OSError as exc:
                    if exc.errno not in _TOLERATED_XATTR:
                        raise
        if chmod:
            fd = os.open(base, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=pfd)
            try:
                if not stat.S_ISLNK(os.fstat(fd).st_mode):
                    os.chmod(f"/proc/self/fd/{fd}", h.mode)
            finally:
                os.close(fd)
        if times:
            os.utime(base, ns=_ns(h.mtime), dir_fd=pfd, follow_symlinks=False)

    # -- whiteouts --------------------------------------------------------------------------
    def _whiteout(self, h: TarHeader, parent: str, base: str) -> None:
        if base == OPAQUE:
            self._opaque(h, parent)
            return
        if base.startswith(WHITEOUT_PREFIX + WHITEOUT_PREFIX):
            return  # other AUFS metadata (.wh..wh.plnk, ...) is not content
        target = base[len(WHITEOUT_PREFIX):]
        if target in ("", ".", "..") or "/" in target:
            raise UnsafeArchive(f"apply layer: {h.name}: invalid whiteout entry")
        if self.whiteouts == "oci":
            maybe = self._parent_if_exists(parent)
            if maybe is None:
                return
            pfd = maybe
        else:
            pfd = self._parent(parent)
        try:
            st = os.stat(target, dir_fd=pfd, follow_symlinks=False)
            self._remove(pfd, target, st)
        except FileNotFoundError:
            pass
        if self.whiteouts == "overlay":
            pfd = self._parent(parent)  # the removal may have closed the cached one
            os.mknod(target, stat.S_IFCHR, 0, dir_fd=pfd)
            if h.uid or h.gid:
                os.chown(target, h.uid, h.gid, dir_fd=pfd, follow_symlinks=False)
            self._mark(posixpath.join(parent, target))

    def _opaque(self, h: TarHeader, parent: str) -> None:
        if self.whiteouts == "overlay":
            os.setxattr(f"/proc/self/fd/{self._parent(parent)}", OPAQUE_XATTR, b"y")
            return
        found = self._parent_if_exists(parent)
        if found is None:
            return
        fd = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=found)
        try:
            self._prune(fd, parent)
        finally:
            os.close(fd)
        self._drop_cache()

    def _prune(self, dfd: int, dpath: str) -> None:
        """Remove what lower layers left under an opaque dir (keep this layer's writes)."""
        for child in os.listdir(dfd):
            path = posixpath.join(dpath, child)
            st = os.stat(child, dir_fd=dfd, follow_symlinks=False)
            if path not in self.keep:
                self._remove(dfd, child, st)
            elif stat.S_ISDIR(st.st_mode):
                cfd = os.open(child, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                              dir_fd=dfd)
                try:
                    self._prune(cfd, path)
                finally:
                    os.close(cfd)

    # -- resolution -------------------------------------------------------------------------
    def _parent(self, path: str) -> int:
        if not path:
            return self.root_fd
        if path == self.cache_path:
            return self.cache_fd
        fd = self._resolve(path, create=True, what=path)
        self._drop_cache()
        if fd == self.root_fd:
            fd = os.dup(fd)
        self.cache_path, self.cache_fd = path, fd
        return fd

    def _parent_if_exists(self, path: str) -> int | None:
        try:
            if not path:
                return self.root_fd
            fd = self._resolve(path, create=False, what=path)
        except (FileNotFoundError, NotADirectoryError):
            return None
        self._drop_cache()
        if fd == self.root_fd:
            fd = os.dup(fd)
        self.cache_path, self.cache_fd = path, fd
        return fd

    def _resolve(self, path: str, *, create: bool, what: str) -> int:
        """An O_PATH fd of directory `path` resolved inside the root (may be root_fd)."""
        if not path:
            return self.root_fd
        if self.kernel:
            try:
                return open_beneath(self.root_fd, path, _DIR_PATH & ~os.O_NOFOLLOW)
            except OSError:
                pass  # absolute symlink, missing parent, escape: decide in user space
        return self._walk(path, create=create, what=what)

    def _walk(self, path: str, *, create: bool, what: str) -> int:
        chain = [self.root_fd]
        parts = deque(path.split("/"))
        links = 0
        try:
            while parts:
                part = parts.popleft()
                if part in ("", "."):
                    continue
                if part == "..":
                    if len(chain) == 1:
                        raise UnsafeArchive(f"apply layer: {what}: path escapes the layer root")
                    os.close(chain.pop())
                    continue
                try:
                    st = os.stat(part, dir_fd=chain[-1], follow_symlinks=False)
                except FileNotFoundError:
                    if not create:
                        raise
                    os.mkdir(part, 0o755, dir_fd=chain[-1])
                    st = os.stat(part, dir_fd=chain[-1], follow_symlinks=False)
                if stat.S_ISLNK(st.st_mode):
                    links += 1
                    if links > MAX_LINKS:
                        raise UnsafeArchive(f"apply layer: {what}: too many levels of symlinks")
                    target = os.readlink(part, dir_fd=chain[-1])
                    if target.startswith("/"):
                        while len(chain) > 1:
                            os.close(chain.pop())
                    parts.extendleft(reversed(target.split("/")))
                    continue
                if not stat.S_ISDIR(st.st_mode):
                    raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), what)
                chain.append(os.open(part, _DIR_PATH, dir_fd=chain[-1]))
            return chain.pop() if len(chain) > 1 else self.root_fd
        finally:
            for fd in chain[1:]:
                os.close(fd)

    def finish(self) -> None:
        """Directory mtimes last, deepest first, after all children were written."""
        for name, mtime in reversed(self.dir_times):
            parent, base = posixpath.split(name)
            try:
                pfd = self._resolve(parent, create=False, what=name)
            except OSError:
                continue  # removed later in the layer
            try:
                os.utime(base, ns=_ns(mtime), dir_fd=pfd, follow_symlinks=False)
            except FileNotFoundError:
                pass
            finally:
                if pfd != self.root_fd:
                    os.close(pfd)
