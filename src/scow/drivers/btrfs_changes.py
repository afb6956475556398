"""owns: ChangesDirs between a btrfs snapshot and the subvolume it was taken from, with the
shortcut snapshots allow.

A snapshot keeps every inode number of its source, and any change to an inode (data, owner,
mode, xattrs, a rename, a link) sets its ctime, which no syscall can set back. So an entry whose
(inode, ctime, mtime, size) are the same on both sides is unchanged: it is skipped without the
capability xattr and link-target reads of moby's comparison. Everything else is judged exactly
as scow.archive.changes does (moby's rules), so the result equals changes_dirs(new, old).

moby's own inode pruning never fires here (each subvolume has its own st_dev), and the walk is
still O(files); a transid search (BTRFS_IOC_TREE_SEARCH, `btrfs subvolume find-new`) could make
it O(changes) later.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator

from scow.archive.changes import Change, _added, _differs, _scan
from scow.errors import from_oserror


def _same_inode(new: os.stat_result, old: os.stat_result) -> bool:
    return (new.st_ino == old.st_ino and new.st_ctime_ns == old.st_ctime_ns
            and new.st_mtime_ns == old.st_mtime_ns and new.st_size == old.st_size)


def _compare(new: str, old: str, rel: str) -> Iterator[Change]:
    new_entries = _scan(os.path.join(new, rel) if rel else new)
    old_entries = _scan(os.path.join(old, rel) if rel else old)
    for name in sorted(new_entries.keys() | old_entries.keys(), key=os.fsencode):
        child = f"{rel}/{name}" if rel else name
        ne, oe = new_entries.get(name), old_entries.get(name)
        if ne is None:
            yield Change("/" + child, "D")
            continue
        if oe is None:
            yield from _added(new, child)
            continue
        nst, ost = ne.stat(follow_symlinks=False), oe.stat(follow_symlinks=False)
        both_dirs = stat.S_ISDIR(nst.st_mode) and stat.S_ISDIR(ost.st_mode)
        if not _same_inode(nst, ost) and _differs(nst, ost, ne.path, oe.path):
            yield Change("/" + child, "C")
            if both_dirs:
                yield from _compare(new, old, child)
            elif stat.S_ISDIR(nst.st_mode):
                for sub in sorted(os.listdir(ne.path), key=os.fsencode):
                    yield from _added(new, f"{child}/{sub}")
        elif both_dirs:
            inner = list(_compare(new, old, child))
            if inner:
                yield Change("/" + child, "C")  # the parent first, so its perms round-trip
                yield from inner


def snapshot_changes(new: str, old: str) -> list[Change]:
    """What changed in the snapshot `new` relative to `old` (any two trees work; the shortcut
    only fires where inodes are shared by snapshotting)."""
    try:
        return list(_compare(new, old, ""))
    except OSError as exc:
        raise from_oserror(f"compute changes of {new}", exc) from exc
