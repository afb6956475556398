"""owns: the contents of a container's ``-init`` layer (moby's daemon/initlayer): the mount
points and placeholders the runtime binds over, so they never show in `diff`, `commit` or
`ps --size`.

The layer is filled without mounting it: `setup` gets the layer's own folder (`root`) and the
folders it lies over (`lowers`, uppermost first: overlay2's lower stack; none for the drivers
whose layer is a whole tree, vfs, btrfs and zfs) and writes into `root` exactly what writing
through the kernel's overlay mount would leave there (moby mounts the layer for this):

- a path is looked up in `root`, then in the lowers as overlay does (a whiteout, a 0:0
  character device, hides the name; a file ends the lookup; an opaque folder, xattr
  ``trusted.overlay.opaque=y``, hides the folders below it);
- a folder that holds something new is *copied up* first: made in `root` with its lower
  folder's mode, owner and extended attributes (not overlay's own), and its lower times
  put back at the end unless an entry was made or removed right in it (as the kernel's
  copy-up keeps the parent's times); never opaque, so the lower folder's other entries
  stay merged;
- a new folder made where a lower layer has the name hidden (a whiteout, or a symlink this
  module replaces) is opaque, as the kernel's create over a whiteout makes it.

Every component of each path that is a symlink is replaced, so an image cannot redirect the
later bind mounts (``/etc/resolv.conf -> ../run/x``); then only what is missing is created.
A file where a folder should be is left alone (the image's choice). Paths are walked one
component at a time with lstat, never through a symlink: the lowers are committed image
layers and `root` is a new layer no other process writes.
"""

from __future__ import annotations

import os
import stat

from scow.drivers.overlay2_changes import OPAQUE, is_opaque, is_whiteout
from scow.osutil.xattrs import copy_xattrs

DIRS = ("/dev/pts", "/dev/shm", "/proc", "/sys")
FILES = ("/.dockerenv", "/etc/resolv.conf", "/etc/hosts", "/etc/hostname", "/dev/console")
SYMLINKS = {"/etc/mtab": "/proc/mounts"}
_OVERLAY_XATTRS = "trusted.overlay."


def setup(root: str, lowers: list[str] | tuple[str, ...] = (), extra_dirs: tuple[str, ...] = (),
          extra_files: tuple[str, ...] = ()) -> None:
    """Fill the init layer whose own folder is `root`, laid over `lowers` (uppermost first);
    `extra_dirs` are volume mount points, `extra_files` the mount points of single-file binds
    (an empty file, as runc makes one)."""
    tree = _Tree(root, list(lowers))
    for path in DIRS + tuple(extra_dirs):
        tree.ensure(path, "dir")
    for path in FILES + tuple(extra_files):
        tree.ensure(path, "file")
    for path, target in SYMLINKS.items():
        tree.ensure(path, "symlink", target)
    tree.restore_times()


class _Level:
    """One folder of the merged view on the way down a path: where it is (or would be) in the
    upper folder, whether it is there yet, and the lower folders merged under it."""

    __slots__ = ("upper", "present", "lowers", "origin")

    def __init__(self, upper: str, present: bool, lowers: list[str],
                 origin: os.stat_result | None) -> None:
        self.upper, self.present, self.lowers, self.origin = upper, present, lowers, origin


class _Tree:
    """The merged view of an upper folder over lower folders, written only in the upper."""

    def __init__(self, upper: str, lowers: list[str]) -> None:
        self.upper, self.lowers = upper, lowers
        self.copied: dict[str, os.stat_result] = {}  # copied-up folder -> its lower's stat
        self.touched: set[str] = set()  # upper folders an entry was made or removed in
        self.seen: dict[str, tuple[os.stat_result | None, bool]] = {}  # lower path: lstat, opaque
        if lowers:  # the merged root shows the upper folder's times: kept as they were
            self.copied[upper] = os.lstat(upper)

    def ensure(self, path: str, kind: str, target: str = "") -> None:
        parts = [p for p in path.split("/") if p and p != "."]
        if not parts or ".." in parts:
            return
        chain = [_Level(self.upper, True, self.lowers, None)]
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            level = chain[-1]
            st, in_upper, below, hidden = self._lookup(level, part)
            name = os.path.join(level.upper, part)
            if st is not None and stat.S_ISLNK(st.st_mode) and not (last and kind == "symlink"):
                if in_upper:
                    os.unlink(name)
                    self.touched.add(level.upper)
                hidden = hidden or not in_upper
                st, in_upper, below = None, False, []
            if last:
                if st is None:
                    self._copy_up(chain)
                    _create(name, kind, target, opaque=hidden and bool(self.lowers))
                    self.touched.add(level.upper)
                return
            if st is None:
                self._copy_up(chain)
                _create(name, "dir", "", opaque=hidden and bool(self.lowers))
                self.touched.add(level.upper)
                chain.append(_Level(name, True, [], None))
            elif not stat.S_ISDIR(st.st_mode):
                return  # a file where a folder should be: leave the image's choice alone
            else:
                chain.append(_Level(name, in_upper, below, None if in_upper else st))

    def _lookup(self, level: _Level, name: str
                ) -> tuple[os.stat_result | None, bool, list[str], bool]:
        """(the visible entry's lstat, whether it is in the upper folder, the lower folders
        merged under it when it is a folder, whether a lower layer holds the name hidden)."""
        if level.present:
            st = _lstat(os.path.join(level.upper, name))
            if st is not None:
                below: list[str] = []
                if stat.S_ISDIR(st.st_mode) and level.lowers \
                        and not is_opaque(os.path.join(level.upper, name)):
                    below = self._merged(level.lowers, name)
                return st, True, below, False
        for i, lower in enumerate(level.lowers):
            path = os.path.join(lower, name)
            st, opaque = self._lower(path)
            if st is None:
                continue
            if is_whiteout(st):
                return None, False, [], True
            if not stat.S_ISDIR(st.st_mode) or opaque:
                return st, False, [path] if stat.S_ISDIR(st.st_mode) else [], False
            return st, False, [path] + self._merged(level.lowers[i + 1:], name), False
        return None, False, [], False

    def _merged(self, lowers: list[str], name: str) -> list[str]:
        """The folders named `name` in `lowers` that overlay merges, top down: up to a
        whiteout, a non-folder or an opaque folder (included)."""
        found: list[str] = []
        for lower in lowers:
            path = os.path.join(lower, name)
            st, opaque = self._lower(path)
            if st is None:
                continue
            if is_whiteout(st) or not stat.S_ISDIR(st.st_mode):
                break
            found.append(path)
            if opaque:
                break
        return found

    def _lower(self, path: str) -> tuple[os.stat_result | None, bool]:
        """A lower entry's lstat and whether it is an opaque folder, read once (the lowers
        are committed layers: they do not change while the init layer is filled)."""
        if path not in self.seen:
            st = _lstat(path)
            self.seen[path] = st, st is not None and stat.S_ISDIR(st.st_mode) and is_opaque(path)
        return self.seen[path]

    def _copy_up(self, chain: list[_Level]) -> None:
        """Make the folders of `chain` missing from the upper one, each from its lower."""
        for level in chain:
            if level.present:
                continue
            origin = level.origin
            assert origin is not None  # a level not in the upper came from a lower folder
            os.mkdir(level.upper, 0o700)
            os.chown(level.upper, origin.st_uid, origin.st_gid, follow_symlinks=False)
            os.chmod(level.upper, stat.S_IMODE(origin.st_mode))
            # what copy-up keeps: all but overlay's own, one the upper cannot hold skipped
            copy_xattrs(level.lowers[0], level.upper, skip=_OVERLAY_XATTRS, skip_unsupported=True)
            self.copied[level.upper] = origin
            level.present = True

    def restore_times(self) -> None:
        """Copied-up folders get their lower times back unless an entry was made in them."""
        for path, origin in self.copied.items():
            if path not in self.touched:
                os.utime(path, ns=(origin.st_atime_ns, origin.st_mtime_ns),
                         follow_symlinks=False)


def _create(path: str, kind: str, target: str, *, opaque: bool) -> None:
    if kind == "dir":
        os.mkdir(path, 0o755)
        if opaque:
            os.setxattr(path, OPAQUE, b"y", follow_symlinks=False)
    elif kind == "file":
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                         | os.O_CLOEXEC, 0o755))
    else:
        os.symlink(target, path)


def _lstat(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
