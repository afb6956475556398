"""owns: the changes between two folders (moby's ChangesDirs), their size and their export as a
layer tar (the naive diff of vfs/btrfs).

Differences from moby, on purpose: mtimes are compared to the nanosecond when both sides have
sub-second parts (same second with a whole-second side still counts as equal, as moby, since
extracted layers carry whole-second mtimes); identical entries are pruned by (dev, ino) of the
parent folders plus the entry's inode; hardlinks are keyed by (dev, ino) when sizing.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Literal

from scow.archive.writer import CAPABILITY, TarWriter
from scow.errors import ScowError, from_oserror
from scow.osutil.treesize import size_once

ChangeKind = Literal["A", "C", "D"]


@dataclass(frozen=True, slots=True)
class Change:
    path: str  # absolute-style, as `docker diff` prints: "/etc/passwd"
    kind: ChangeKind

    def __str__(self) -> str:
        return f"{self.kind} {self.path}"


def _capability(path: str) -> bytes | None:
    try:
        return os.getxattr(path, CAPABILITY, follow_symlinks=False)
    except OSError:
        return None


def _same_time(a: int, b: int) -> bool:
    if a == b:
        return True
    sa, na = divmod(a, 1_000_000_000)
    sb, nb = divmod(b, 1_000_000_000)
    return sa == sb and (na == 0 or nb == 0)


def _differs(new: os.stat_result, old: os.stat_result, new_path: str, old_path: str) -> bool:
    if (new.st_mode != old.st_mode or new.st_uid != old.st_uid or new.st_gid != old.st_gid
            or new.st_rdev != old.st_rdev):
        return True
    if not stat.S_ISDIR(new.st_mode) and (
            new.st_size != old.st_size or not _same_time(new.st_mtime_ns, old.st_mtime_ns)):
        return True
    if stat.S_ISLNK(new.st_mode):
        return os.readlink(new_path) != os.readlink(old_path)
    return _capability(new_path) != _capability(old_path)


def _scan(path: str) -> dict[str, os.DirEntry[str]]:
    with os.scandir(path) as it:
        return {e.name: e for e in it}


def _added(root: str, rel: str) -> Iterator[Change]:
    """rel and everything under it as A."""
    yield Change("/" + rel, "A")
    path = os.path.join(root, rel)
    if os.path.isdir(path) and not os.path.islink(path):
        for name in sorted(os.listdir(path), key=os.fsencode):
            yield from _added(root, f"{rel}/{name}")


Unchanged = Callable[[os.stat_result, os.stat_result], bool]


def _compare(new: str, old: str, rel: str, unchanged: Unchanged | None) -> Iterator[Change]:
    new_dir = os.path.join(new, rel) if rel else new
    old_dir = os.path.join(old, rel) if rel else old
    new_entries, old_entries = _scan(new_dir), _scan(old_dir)
    same_dev = os.lstat(new_dir).st_dev == os.lstat(old_dir).st_dev
    for name in sorted(new_entries.keys() | old_entries.keys(), key=os.fsencode):
        child = f"{rel}/{name}" if rel else name
        ne, oe = new_entries.get(name), old_entries.get(name)
        if ne is None:
            yield Change("/" + child, "D")
            continue
        if oe is None:
            yield from _added(new, child)
            continue
        if same_dev and ne.inode() == oe.inode():
            continue
        nst, ost = ne.stat(follow_symlinks=False), oe.stat(follow_symlinks=False)
        both_dirs = stat.S_ISDIR(nst.st_mode) and stat.S_ISDIR(ost.st_mode)
        if (unchanged is None or not unchanged(nst, ost)) and _differs(nst, ost, ne.path,
                                                                      oe.path):
            yield Change("/" + child, "C")
            if both_dirs:
                yield from _compare(new, old, child, unchanged)
            elif stat.S_ISDIR(nst.st_mode):
                for sub in sorted(os.listdir(ne.path), key=os.fsencode):
                    yield from _added(new, f"{child}/{sub}")
        elif both_dirs:
            inner = list(_compare(new, old, child, unchanged))
            if inner:
                yield Change("/" + child, "C")  # the parent first, so its perms round-trip
                yield from inner


def changes_dirs(new: str, old: str | None, *, unchanged: Unchanged | None = None
                 ) -> list[Change]:
    """What changed in folder `new` relative to `old` (None: everything is added).
    `unchanged(new_stat, old_stat)` may vouch for an entry cheaply (btrfs snapshots share
    inode numbers and ctimes), sparing the xattr and link-target reads of the comparison."""
    try:
        if old is None:
            return [c for name in sorted(os.listdir(new), key=os.fsencode)
                    for c in _added(new, name)]
        return list(_compare(new, old, "", unchanged))
    except OSError as exc:
        raise from_oserror(f"compute changes of {new}", exc) from exc


def changes_size(root: str, changes: Iterable[Change]) -> int:
    """Bytes of the added/changed non-directories (each hardlinked inode once)."""
    total = 0
    seen: set[tuple[int, int]] = set()
    for change in changes:
        if change.kind == "D":
            continue
        try:
            st = os.lstat(os.path.join(root, change.path.lstrip("/")))
        except FileNotFoundError:
            continue
        if not stat.S_ISDIR(st.st_mode):
            total += size_once(st, seen)
    return total


def export_changes(root: str, changes: Iterable[Change], out: BinaryIO) -> None:
    """A layer tar of `changes` (sorted by path; D as `.wh.` entries), read from `root`."""
    writer = TarWriter(out)
    seen: dict[tuple[int, int], str] = {}
    now = int(time.time())
    for change in sorted(changes, key=lambda c: os.fsencode(c.path)):
        name = change.path.lstrip("/")
        if change.kind == "D":
            writer.add_whiteout(name, mtime=now)
            continue
        try:
            writer.add_path(root, name, seen=seen)
        except FileNotFoundError:
            continue  # removed since the changes were computed (a running container)
        except ScowError:
            raise
        except OSError as exc:
            raise from_oserror(f"export changes: read {name}", exc) from exc
    writer.close()
