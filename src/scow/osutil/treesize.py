"""owns: the size of a folder tree as moby's directory.Size counts it (layer and container
sizes, `ps --size`, `system df`, volumes), in one pass with bounded descriptors.

Apart from osutil/fs.py so that a size costs no import but `os`.
"""

from __future__ import annotations

import os

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_MAX_OPEN_DIRS = 128  # deeper folders are walked by path (bounded descriptors)


def dir_size(path: str) -> int:
    """Bytes under `path` as moby's directory.Size counts them: st_size of every non-folder
    (symlinks: the target's length), hardlinked inodes once; vanished files are skipped.

    One pass: each folder's names are read once (listdir on its descriptor: plain strings,
    no DirEntry objects) and every entry is stat'ed once relative to that descriptor
    (fstatat: no path walk from / per entry), folders known by st_mode; the hard-link set is
    consulted only for inodes with more than one link. At most `_MAX_OPEN_DIRS` folders are
    open at once, one per level."""
    seen: set[tuple[int, int]] = set()
    try:
        fd = os.open(path, _DIR_FLAGS)
    except (FileNotFoundError, NotADirectoryError):
        return 0
    return _size_under(fd, path, seen, 1)


def _size_under(fd: int, path: str, seen: set[tuple[int, int]], depth: int) -> int:
    """dir_size of the open folder `fd` (closed here); `path` names it for deep levels."""
    total = 0
    folders: list[str] = []
    lstat = os.lstat
    try:
        for name in os.listdir(fd):
            try:
                st = lstat(name, dir_fd=fd)
            except FileNotFoundError:
                continue
            if st.st_mode & 0o170000 == 0o040000:  # S_ISDIR, without a call per entry
                folders.append(name)
            elif st.st_nlink == 1:
                total += st.st_size
            else:
                total += size_once(st, seen)
        for name in folders:
            sub = os.path.join(path, name)
            try:
                child = (os.open(name, _DIR_FLAGS, dir_fd=fd) if depth < _MAX_OPEN_DIRS
                         else os.open(sub, _DIR_FLAGS))
            except (FileNotFoundError, NotADirectoryError):
                continue
            total += _size_under(child, sub, seen, depth + 1)
    finally:
        os.close(fd)
    return total


def size_once(st: os.stat_result, seen: set[tuple[int, int]]) -> int:
    """st_size of a non-directory, or 0 when another link to its inode was counted already
    (moby's rule for layer and container sizes)."""
    if st.st_nlink > 1:
        key = (st.st_dev, st.st_ino)
        if key in seen:
            return 0
        seen.add(key)
    return st.st_size
