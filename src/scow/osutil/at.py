"""owns: tree work done relative to folder fds with the ``*at`` calls, never following a
symlink and never naming a file by a path the kernel walks again: what a process sharing the
tree (a container) swaps in while it runs is unlinked or refused, never followed.
"""

from __future__ import annotations

import errno
import os
import stat

_DIR_READ = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_NOT_A_DIR = (errno.ENOTDIR, errno.ELOOP)


def remove_tree_at(parent_fd: int, name: str) -> None:
    """rm -r of `name` under `parent_fd` (a symlink or file met where a folder was is unlinked),
    without recursion (a folder may nest deeper than the Python stack); one fd per level."""
    try:
        fd = os.open(name, _DIR_READ, dir_fd=parent_fd)
    except OSError as exc:
        if exc.errno not in _NOT_A_DIR:
            raise
        os.unlink(name, dir_fd=parent_fd)
        return
    stack: list[tuple[int, str, list[str]]] = [(fd, name, [])]  # (fd, its name, folders left)
    try:
        stack[-1] = (fd, name, _unlink_files(fd))
        while stack:
            fd, dname, subs = stack[-1]
            if not subs:
                stack.pop()
                os.close(fd)
                os.rmdir(dname, dir_fd=stack[-1][0] if stack else parent_fd)
                continue
            sub = subs.pop()
            try:
                cfd = os.open(sub, _DIR_READ, dir_fd=fd)
            except OSError as exc:
                if exc.errno not in _NOT_A_DIR:
                    raise
                os.unlink(sub, dir_fd=fd)
                continue
            stack.append((cfd, sub, []))
            stack[-1] = (cfd, sub, _unlink_files(cfd))
    finally:
        for fd, _, _ in stack:
            os.close(fd)


def _unlink_files(fd: int) -> list[str]:
    """Unlink what folder `fd` holds but its subfolders; returns their names."""
    subs = []
    for child in os.listdir(fd):
        if stat.S_ISDIR(os.stat(child, dir_fd=fd, follow_symlinks=False).st_mode):
            subs.append(child)
        else:
            os.unlink(child, dir_fd=fd)
    return subs


def remove_tree_quietly(path: str) -> None:
    """`shutil.rmtree(path, ignore_errors=True)` for the short commands' paths (`rm`, a failed
    `create`, recovery), without loading shutil and the compressors it imports: a missing path
    is fine, and what cannot be removed stays (a later `rm` or recovery tries again)."""
    try:
        parent = os.open(os.path.dirname(os.path.abspath(path)) or "/", _DIR_READ)
    except OSError:
        return
    try:
        remove_tree_at(parent, os.path.basename(os.path.abspath(path)))
    except OSError:
        pass
    finally:
        os.close(parent)
