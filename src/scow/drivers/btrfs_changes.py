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

from scow.archive.changes import Change, changes_dirs


def _same_inode(new: os.stat_result, old: os.stat_result) -> bool:
    return (new.st_ino == old.st_ino and new.st_ctime_ns == old.st_ctime_ns
            and new.st_mtime_ns == old.st_mtime_ns and new.st_size == old.st_size)


def snapshot_changes(new: str, old: str) -> list[Change]:
    """What changed in the snapshot `new` relative to `old` (any two trees work; the shortcut
    only fires where inodes are shared by snapshotting)."""
    return changes_dirs(new, old, unchanged=_same_inode)
