"""owns: writing tar streams the way moby does (Go's archive/tar with FormatPAX: plain USTAR
headers unless a field needs PAX), and tarring a folder (``write_tree``).

moby conventions kept: names relative without ``./``, directories with a trailing ``/``,
lexical walk (parent first), whole-second mtimes, no atime/ctime, numeric uid/gid with empty
uname/gname, only ``security.capability`` as ``SCHILY.xattr.*``, hardlinks once per
(dev, ino), sockets skipped, an empty tree is 1024 NUL bytes.
"""

from __future__ import annotations

import os
import posixpath
import stat
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import BinaryIO, Literal

from scow.archive.tarheader import BLOCK, Kind, TarHeader
from scow.errors import InvalidArgument, ScowError, from_oserror

WHITEOUT_PREFIX = ".wh."
OPAQUE = ".wh..wh..opq"
OPAQUE_XATTR = "trusted.overlay.opaque"
CAPABILITY = "security.capability"
_COPY = 1 << 20


def _fits_octal(width: int, value: int) -> bool:
    return value >= 0 and (width >= 22 or value < 1 << ((width - 1) * 3))


def _octal(width: int, value: int) -> bytes:
    if not _fits_octal(width, value):
        value = 0  # Go's last resort; the PAX record carries the real value
    return b"%0*o\0" % (width - 1, value)


def _put(blk: bytearray, start: int, width: int, value: bytes) -> None:
    value = value[:width]
    blk[start:start + len(value)] = value


def _finish_block(blk: bytearray) -> bytes:
    blk[257:265] = b"ustar\x0000"
    blk[148:156] = b" " * 8
    blk[148:156] = b"%06o\0 " % sum(blk)
    return bytes(blk)


def _split_ustar(name: bytes) -> tuple[bytes, bytes] | None:
    length = len(name)
    if length <= 100 or not name.isascii():
        return None
    if length > 156:
        length = 156
    elif name.endswith(b"/"):
        length -= 1
    i = name.rfind(b"/", 0, length)
    nlen, plen = len(name) - i - 1, i
    if i <= 0 or nlen > 100 or nlen == 0 or plen > 155:
        return None
    return name[:i], name[i + 1:]


def _pax_record(key: bytes, value: bytes) -> bytes:
    size = len(key) + len(value) + 3
    size += len(str(size))
    record = b"%d %s=%s\n" % (size, key, value)
    if len(record) != size:
        record = b"%d %s=%s\n" % (len(record), key, value)
    return record


def _archive_name(h: TarHeader) -> bytes:
    name = h.raw_name or os.fsencode(h.name)
    if h.kind is Kind.DIR and not name.endswith(b"/"):
        name += b"/"
    return name


def _needs_pax(h: TarHeader, name: bytes, link: bytes,
               mtime: int) -> tuple[dict[bytes, bytes], bool, tuple[bytes, bytes] | None]:
    """Go's Header.allowedFormats: the PAX records, whether USTAR still fits, the name split."""
    pax: dict[bytes, bytes] = {}
    ustar = True
    split = None
    if not name.isascii() or len(name) > 100:
        pax[b"path"] = name
        split = _split_ustar(name)
        ustar = split is not None
    if not link.isascii() or len(link) > 100:
        pax[b"linkpath"] = link
        ustar = False
    for key, width, value in ((b"uid", 8, h.uid), (b"gid", 8, h.gid), (b"size", 12, h.size),
                              (b"mtime", 12, mtime)):
        if not _fits_octal(width, value):
            pax[key] = b"%d" % value
            ustar = False
    if not (_fits_octal(8, h.devmajor) and _fits_octal(8, h.devminor)):
        raise InvalidArgument(f"write tar header {h.name}: device number out of range")
    for key_s, value_b in h.xattrs.items():
        pax[b"SCHILY.xattr." + key_s.encode("utf-8", "surrogateescape")] = value_b
        ustar = False
    return pax, ustar, split


def header_bytes(h: TarHeader) -> bytes:
    """The header block(s) Go's tar.Writer emits for `h` (a PAX ``x`` header only if needed)."""
    name = _archive_name(h)
    link = os.fsencode(h.linkname)
    mtime = int(h.mtime // 1)
    pax, ustar, split = _needs_pax(h, name, link, mtime)
    blk = bytearray(BLOCK)
    if ustar:
        prefix, short = split if split is not None else (b"", name)
        _put(blk, 0, 100, short)
        _put(blk, 345, 155, prefix)
        pre = b""
    else:
        short = bytes(c for c in name if c < 0x80)
        _put(blk, 0, 100, short)
        if len(short) > 100 and short[99] == 0x2F:  # Go: no trailing slash in a cut name
            blk[len(short[:99].rstrip(b"/"))] = 0
        pre = _pax_header(name, pax)
    _put(blk, 100, 8, _octal(8, h.mode))
    _put(blk, 108, 8, _octal(8, h.uid))
    _put(blk, 116, 8, _octal(8, h.gid))
    _put(blk, 124, 12, _octal(12, h.size))
    _put(blk, 136, 12, _octal(12, mtime))
    blk[156] = ord(h.kind.value)
    _put(blk, 157, 100, link if link.isascii() else bytes(c for c in link if c < 0x80))
    _put(blk, 329, 8, _octal(8, h.devmajor))
    _put(blk, 337, 8, _octal(8, h.devminor))
    return pre + _finish_block(blk)


def _pax_header(name: bytes, pax: dict[bytes, bytes]) -> bytes:
    data = b"".join(_pax_record(k, pax[k]) for k in sorted(pax))
    head, tail = name.rsplit(b"/", 1) if b"/" in name else (b"", name)
    xname = b"/".join(p for p in (head, b"PaxHeaders.0", tail) if p)
    xname = bytes(c for c in xname if c < 0x80)[:100].rstrip(b"/")
    blk = bytearray(BLOCK)
    _put(blk, 0, 100, xname)
    for start in (100, 108, 116):
        _put(blk, start, 8, _octal(8, 0))
    _put(blk, 124, 12, _octal(12, len(data)))
    _put(blk, 136, 12, _octal(12, 0))
    blk[156] = ord("x")
    return _finish_block(blk) + data + bytes(-len(data) % BLOCK)


class TarWriter:
    """Writes entries one by one; ``close()`` adds the two zero blocks (not closing `out`)."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out

    def add(self, h: TarHeader, data: BinaryIO | bytes | None = None) -> None:
        """One entry; `data` must hold exactly ``h.size`` bytes for regular files."""
        self.out.write(header_bytes(h))
        if h.kind is not Kind.REG or h.size == 0:
            return
        if isinstance(data, bytes):
            written = len(data)
            self.out.write(data)
        else:
            written = self._copy(data, h.size)
        if written != h.size:
            raise InvalidArgument(f"write tar entry {h.name}: file changed size while writing")
        self.out.write(bytes(-h.size % BLOCK))

    def _copy(self, src: BinaryIO | None, size: int) -> int:
        written = 0
        while src is not None and written < size:
            chunk = src.read(min(_COPY, size - written))
            if not chunk:
                break
            self.out.write(chunk)
            written += len(chunk)
        return written

    def add_bytes(self, name: str, data: bytes, *, mode: int = 0o644, uid: int = 0,
                  gid: int = 0, mtime: float = 0) -> None:
        self.add(TarHeader(name=name, kind=Kind.REG, mode=mode, uid=uid, gid=gid,
                           size=len(data), mtime=mtime), data)

    def add_whiteout(self, name: str, *, mtime: float = 0) -> None:
        """`.wh.<base>` for a removed path (moby's ExportChanges: mode 0, size 0)."""
        parent, base = posixpath.split(name.strip("/"))
        self.add(TarHeader(name=posixpath.join(parent, WHITEOUT_PREFIX + base), kind=Kind.REG,
                           mode=0, uid=0, gid=0, size=0, mtime=mtime))

    def add_path(self, root: str, name: str, *, whiteouts: Literal["overlay"] | None = None,
                 seen: dict[tuple[int, int], str] | None = None,
                 arcname: str | None = None) -> None:
        """The file at root/name (lstat'ed, never followed) as moby's addTarFile writes it,
        named `arcname` in the archive when given (`docker cp` renames as it copies)."""
        path = os.path.join(root, name)
        st = os.lstat(path)
        for h in _headers_for(path, arcname or name, st, whiteouts, seen):
            if h.kind is Kind.REG and h.size and not h.name.endswith(OPAQUE):
                fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
                with os.fdopen(fd, "rb") as f:
                    self.add(h, f)
            else:
                self.add(h)

    def close(self) -> None:
        self.out.write(bytes(2 * BLOCK))


def _capability(path: str) -> bytes | None:
    try:
        value = os.getxattr(path, CAPABILITY, follow_symlinks=False)
    except OSError:
        return None
    magic = int.from_bytes(value[:4], "little")
    if magic & 0xFF000000 == 0x03000000 and len(value) >= 20:  # v3 (rootid) -> v2
        value = ((magic & ~0xFF000000) | 0x02000000).to_bytes(4, "little") + value[4:20]
    return value


def _headers_for(path: str, name: str, st: os.stat_result, whiteouts: str | None,
                 seen: dict[tuple[int, int], str] | None) -> Iterator[TarHeader]:
    mode = st.st_mode
    perm = stat.S_IMODE(mode)
    mtime = st.st_mtime_ns // 1_000_000_000
    if stat.S_ISSOCK(mode):
        return
    xattrs: dict[str, bytes] = {}
    cap = _capability(path) if not stat.S_ISLNK(mode) else None
    if cap is not None:
        xattrs[CAPABILITY] = cap
    tmpl = TarHeader(name=name, kind=Kind.REG, mode=perm, uid=st.st_uid, gid=st.st_gid, size=0,
                     mtime=mtime, xattrs=xattrs)
    if stat.S_ISCHR(mode) and st.st_rdev == 0 and whiteouts == "overlay":
        parent, base = posixpath.split(name)
        yield TarHeader(name=posixpath.join(parent, WHITEOUT_PREFIX + base), kind=Kind.REG,
                        mode=0o600, uid=st.st_uid, gid=st.st_gid, size=0, mtime=mtime)
        return
    if stat.S_ISDIR(mode):
        yield replace(tmpl, kind=Kind.DIR)
        if whiteouts == "overlay" and _is_opaque(path):
            yield TarHeader(name=posixpath.join(name, OPAQUE), kind=Kind.REG, mode=perm & 0o777,
                            uid=st.st_uid, gid=st.st_gid, size=0, mtime=0)
        return
    if stat.S_ISLNK(mode):
        yield replace(tmpl, kind=Kind.SYMLINK, linkname=os.readlink(path))
        return
    if stat.S_ISREG(mode):
        if st.st_nlink > 1 and seen is not None:
            first = seen.setdefault((st.st_dev, st.st_ino), name)
            if first != name:
                yield replace(tmpl, kind=Kind.HARDLINK, linkname=first)
                return
        yield replace(tmpl, size=st.st_size)
        return
    kind = Kind.CHAR if stat.S_ISCHR(mode) else Kind.BLOCK if stat.S_ISBLK(mode) else Kind.FIFO
    dev = st.st_rdev
    yield replace(tmpl, kind=kind, devmajor=os.major(dev) if kind is not Kind.FIFO else 0,
                  devminor=os.minor(dev) if kind is not Kind.FIFO else 0)


def _is_opaque(path: str) -> bool:
    try:
        return os.getxattr(path, OPAQUE_XATTR, follow_symlinks=False) == b"y"
    except OSError:
        return False


def write_tree(root: str, out: BinaryIO, *, whiteouts: Literal["overlay"] | None = None,
               paths: Iterable[str] | None = None) -> None:
    """Tar the folder `root` into `out` moby-style (or only `paths`, relative, in order)."""
    writer = TarWriter(out)
    seen: dict[tuple[int, int], str] = {}
    for name in (_walk_tree(root) if paths is None else paths):
        try:
            writer.add_path(root, name, whiteouts=whiteouts, seen=seen)
        except ScowError:
            raise
        except OSError as exc:
            raise from_oserror(f"write layer: read {name}", exc) from exc
    writer.close()


def walk_tree(root: str) -> Iterator[str]:
    """The relative names under `root` in the order write_tree writes them."""
    return _walk_tree(root)


def _walk_tree(root: str) -> Iterator[str]:
    """Like ``walk`` but descending in the order the entries are written (depth first)."""
    def visit(rel: str) -> Iterator[str]:
        base = os.path.join(root, rel) if rel else root
        try:
            entries = sorted(os.scandir(base), key=lambda e: os.fsencode(e.name))
        except OSError as exc:
            raise from_oserror(f"read folder {rel or root}", exc) from exc
        for entry in entries:
            name = f"{rel}/{entry.name}" if rel else entry.name
            yield name
            if entry.is_dir(follow_symlinks=False):
                yield from visit(name)
    return visit("")
