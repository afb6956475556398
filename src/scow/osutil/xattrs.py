"""owns: copying a file's extended attributes onto another (not following symlinks): every
one for a faithful tree copy (osutil/fs.py, the vfs driver's layer copy), or all but a
prefix with the names the destination's file system cannot hold skipped (the init layer's
copy-up, engine/containers/initlayer.py, as the kernel's overlay copy-up does).

Its own module, standard library only, so that `create` loads it without osutil/fs.py.
"""

from __future__ import annotations

import errno
import os


def copy_xattrs(src: str, dst: str, *, skip: str | tuple[str, ...] = (),
                skip_unsupported: bool = False) -> None:
    """Copy the extended attributes of `src` onto `dst`, but the names starting with `skip`.
    A source on a file system without xattrs has none to copy; with `skip_unsupported`, a
    name `dst`'s file system refuses (ENOTSUP) is passed over instead of raised."""
    try:
        names = os.listxattr(src, follow_symlinks=False)
    except OSError as exc:
        if exc.errno in (errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENODATA):
            return
        raise
    for name in names:
        if skip and name.startswith(skip):
            continue
        value = os.getxattr(src, name, follow_symlinks=False)
        try:
            os.setxattr(dst, name, value, follow_symlinks=False)
        except OSError as exc:
            if not (skip_unsupported and exc.errno == errno.ENOTSUP):
                raise
