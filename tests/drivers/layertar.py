"""Layer tars for the driver tests (built with tarfile, fed through archive's LayerReader) and
tree snapshots to compare what a driver shows."""

from __future__ import annotations

import errno
import io
import os
import tarfile
from dataclasses import dataclass, field

from scow.drivers.base import Driver

CAP = b"\x01\x00\x00\x02\x00\x20\x00\x00" + bytes(12)  # cap_net_raw+ep, VFS_CAP_REVISION_2


# -- building layers -------------------------------------------------------------------------
@dataclass
class M:
    """One tar member: kind f(ile) d(ir) l(symlink) h(ardlink) c(hardev) p(fifo)."""

    name: str
    kind: str = "f"
    data: bytes = b""
    mode: int = 0o644
    link: str = ""
    uid: int = 0
    gid: int = 0
    dev: tuple[int, int] = (0, 0)
    xattrs: dict[str, bytes] = field(default_factory=dict)
    mtime: int = 1_700_000_000


_TYPES = {"f": tarfile.REGTYPE, "d": tarfile.DIRTYPE, "l": tarfile.SYMTYPE,
          "h": tarfile.LNKTYPE, "c": tarfile.CHRTYPE, "p": tarfile.FIFOTYPE}


def tar_layer(*members: M) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for m in members:
            info = tarfile.TarInfo(m.name)
            info.type = _TYPES[m.kind]
            info.mode = m.mode if m.kind != "d" or m.mode != 0o644 else 0o755
            info.uid, info.gid, info.mtime = m.uid, m.gid, m.mtime
            info.linkname = m.link
            info.devmajor, info.devminor = m.dev
            info.pax_headers = {f"SCHILY.xattr.{k}": v.decode("latin-1")
                                for k, v in m.xattrs.items()}
            info.size = len(m.data) if m.kind == "f" else 0
            tar.addfile(info, io.BytesIO(m.data) if m.kind == "f" else None)
    return buf.getvalue()


def apply(driver: Driver, id: str, parent: str | None, *members: M) -> int:
    from scow.archive.tarstream import LayerReader

    driver.create(id, parent)
    reader = LayerReader(io.BytesIO(tar_layer(*members)))
    size = driver.apply_diff(id, parent, reader.entries())
    reader.finish()
    return size


# -- looking at trees ------------------------------------------------------------------------
def snapshot(top: str, *, xattrs: tuple[str, ...] | None = None) -> dict[str, tuple[object, ...]]:
    """path -> (kind, mode, uid, gid, content, rdev, xattrs, hardlink group, mtime s) for every
    entry under `top`; `xattrs` limits which attributes are compared."""
    out: dict[str, tuple[object, ...]] = {}
    groups: dict[tuple[int, int], str] = {}
    for folder, dirs, files in os.walk(top):
        dirs.sort()
        for name in sorted(dirs + files):
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, top)
            st = os.lstat(path)
            kind = oct(st.st_mode >> 12)
            content: object = None
            if os.path.islink(path):
                content = os.readlink(path)
            elif os.path.isfile(path):
                with open(path, "rb") as f:
                    content = f.read()
            attrs = {k: os.getxattr(path, k, follow_symlinks=False)
                     for k in _listxattr(path) if xattrs is None or k in xattrs}
            group = groups.setdefault((st.st_dev, st.st_ino), rel) if st.st_nlink > 1 \
                and not os.path.isdir(path) else None
            mtime = None if os.path.isdir(path) else int(st.st_mtime)
            out[rel] = (kind, oct(st.st_mode & 0o7777), st.st_uid, st.st_gid, content,
                        st.st_rdev, attrs, group, mtime)
    return out


def _listxattr(path: str) -> list[str]:
    """The entry's xattr names; none where the filesystem keeps none (zfs-fuse without
    --enable-xattr answers EOPNOTSUPP)."""
    try:
        return os.listxattr(path, follow_symlinks=False)
    except OSError as exc:
        if exc.errno == errno.EOPNOTSUPP:
            return []
        raise
