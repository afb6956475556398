"""Helpers shared by the archive tests: building tars with Python's tarfile."""

from __future__ import annotations

import io
import tarfile
from dataclasses import dataclass, field

TYPES = {"reg": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE,
         "link": tarfile.LNKTYPE, "char": tarfile.CHRTYPE, "block": tarfile.BLKTYPE,
         "fifo": tarfile.FIFOTYPE}


@dataclass
class M:
    name: str
    type: str = "reg"
    data: bytes = b""
    linkname: str = ""
    mode: int = 0o644
    uid: int = 0
    gid: int = 0
    mtime: float = 1_700_000_000
    devmajor: int = 0
    devminor: int = 0
    pax: dict[str, str] = field(default_factory=dict)


def make_tar(members: list[M], fmt: int = tarfile.PAX_FORMAT,
             global_pax: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt, pax_headers=global_pax) as tf:
        for m in members:
            ti = tarfile.TarInfo(m.name)
            ti.type = TYPES[m.type]
            ti.linkname = m.linkname
            ti.mode = m.mode
            ti.uid, ti.gid = m.uid, m.gid
            ti.mtime = m.mtime
            ti.devmajor, ti.devminor = m.devmajor, m.devminor
            ti.pax_headers = dict(m.pax)
            ti.size = len(m.data) if m.type == "reg" else 0
            tf.addfile(ti, io.BytesIO(m.data) if m.type == "reg" else None)
    return buf.getvalue()

