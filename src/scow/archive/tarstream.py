"""owns: reading tar streams (USTAR, PAX ``x``/``g``, GNU ``L``/``K``, base-256 numbers) in one
forward pass that also hashes every byte (the layer's DiffID) and records tar-split.

Not ``tarfile``: headers are parsed straight from 512-byte blocks of 1 MiB reads, and payloads
are handed out as memoryviews of the read buffer, so the per-entry cost stays small.
"""

from __future__ import annotations

import enum
import hashlib
import posixpath
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from scow.archive import crc64
from scow.archive.tarsplit import TarSplitWriter
from scow.errors import MalformedArchive, Unsupported

BLOCK = 512
CHUNK = 1 << 20
ZERO_BLOCK = bytes(BLOCK)


class Kind(enum.Enum):
    REG = "0"
    HARDLINK = "1"
    SYMLINK = "2"
    CHAR = "3"
    BLOCK = "4"
    DIR = "5"
    FIFO = "6"


_KINDS = {b"0"[0]: Kind.REG, 0: Kind.REG, b"7"[0]: Kind.REG, b"1"[0]: Kind.HARDLINK,
          b"2"[0]: Kind.SYMLINK, b"3"[0]: Kind.CHAR, b"4"[0]: Kind.BLOCK, b"5"[0]: Kind.DIR,
          b"6"[0]: Kind.FIFO}
_PAX, _GLOBAL, _LONGNAME, _LONGLINK = b"x"[0], b"g"[0], b"L"[0], b"K"[0]
_MAX_SPECIAL = 1 << 20  # Go's maxSpecialFileSize
# Go reads no payload for these whatever their size field says
_HEADER_ONLY = frozenset((Kind.DIR, Kind.SYMLINK, Kind.HARDLINK, Kind.CHAR, Kind.BLOCK,
                          Kind.FIFO))


@dataclass(frozen=True, slots=True)
class TarHeader:
    name: str  # cleaned, relative, no trailing slash ("." for the root)
    kind: Kind
    mode: int  # permission bits with setuid/setgid/sticky
    uid: int
    gid: int
    size: int
    mtime: float
    linkname: str = ""
    devmajor: int = 0
    devminor: int = 0
    xattrs: dict[str, bytes] = field(default_factory=dict)
    raw_name: bytes = b""  # the name as the archive spells it (what tar-split records)


def clean_name(name: str) -> str:
    """moby's ``path.Clean(strings.TrimLeft(name, "/"))``."""
    return posixpath.normpath(name.lstrip("/")) if name.strip("/") else "."


def _go_clean(name: str) -> str:
    """Go's filepath.Clean (keeps one leading slash)."""
    if not name:
        return "."
    cleaned = posixpath.normpath(name)
    return "/" + cleaned.lstrip("/") if cleaned.startswith("/") else cleaned


def _cstr(field_: bytes) -> bytes:
    i = field_.find(0)
    return field_ if i < 0 else field_[:i]


def _num(field_: bytes, what: str) -> int:
    if field_ and field_[0] & 0x80:
        if field_[0] == 0xFF:
            return int.from_bytes(field_, "big", signed=True)
        return int.from_bytes(bytes([field_[0] & 0x7F]) + field_[1:], "big")
    try:
        return int(field_.rstrip(b"\0 "), 8)  # the common "0000644\0"; int() skips spaces
    except ValueError:
        pass
    text = field_.strip(b" \0")
    nul = text.find(0)
    if nul >= 0:
        text = text[:nul]
    try:
        return int(text, 8) if text else 0
    except ValueError:
        raise MalformedArchive(f"read layer: invalid tar header: bad {what} field") from None


def _check_sum(blk: bytes) -> None:
    want = _num(blk[148:156], "checksum")
    unsigned = sum(blk) - sum(blk[148:156]) + 256
    if want == unsigned:
        return
    signed = unsigned - 2 * sum(b for b in blk if b > 127) + 2 * sum(
        b for b in blk[148:156] if b > 127)
    if want != signed:
        raise MalformedArchive("read layer: invalid tar header: checksum mismatch")


def _parse_pax(data: bytes) -> dict[str, bytes]:
    records: dict[str, bytes] = {}
    pos = 0
    while pos < len(data):
        if data[pos] == 0:
            break
        sp = data.find(b" ", pos)
        try:
            length = int(data[pos:sp])
        except ValueError:
            raise MalformedArchive("read layer: invalid pax header record") from None
        rec = data[sp + 1:pos + length]
        if sp < 0 or length <= 0 or pos + length > len(data) or not rec.endswith(b"\n"):
            raise MalformedArchive("read layer: invalid pax header record")
        key, eq, value = rec[:-1].partition(b"=")
        if not eq:
            raise MalformedArchive("read layer: invalid pax header record")
        records[key.decode("utf-8", "surrogateescape")] = value
        pos += length
    return records


def _apply_pax(pax: dict[str, bytes], xattrs: dict[str, bytes], raw_name: bytes,
               raw_link: bytes, size: int, uid: int, gid: int,
               mtime: float) -> tuple[bytes, bytes, int, int, int, float]:
    """PAX records override the USTAR fields; SCHILY.xattr.* records become xattrs."""
    try:
        size = int(pax["size"]) if "size" in pax else size
        uid = int(pax["uid"]) if "uid" in pax else uid
        gid = int(pax["gid"]) if "gid" in pax else gid
        mtime = float(pax["mtime"]) if "mtime" in pax else mtime
    except ValueError:
        raise MalformedArchive("read layer: invalid pax header value") from None
    for key, value in pax.items():
        if key.startswith("SCHILY.xattr."):
            xattrs[key[13:]] = value
    return (pax.get("path", raw_name), pax.get("linkpath", raw_link), size, uid, gid, mtime)


class TarEntry:
    """One member: its header and its payload, readable until the next entry is asked for."""

    __slots__ = ("header", "_reader")

    def __init__(self, header: TarHeader, reader: LayerReader) -> None:
        self.header = header
        self._reader = reader

    def _live(self) -> bool:
        return self._reader._current is self.header

    def chunks(self) -> Iterator[memoryview]:
        """The rest of the payload as buffer slices (each valid until the next one)."""
        while self._live() and (mv := self._reader._payload(CHUNK)) is not None:
            yield mv

    def read(self, n: int = -1) -> bytes:
        if not self._live():
            return b""
        parts = []
        want = self._reader._remaining if n < 0 else n
        while want > 0 and (mv := self._reader._payload(want)) is not None:
            parts.append(bytes(mv))
            want -= len(mv)
        return b"".join(parts)

    def readinto(self, buf: bytearray | memoryview) -> int:
        mv = self._reader._payload(len(buf)) if self._live() else None
        if mv is None:
            return 0
        memoryview(buf)[:len(mv)] = mv
        return len(mv)


class _Hasher:
    """sha256 of a byte stream on a second core: each chunk is hashed by a short-lived thread
    (hashlib drops the GIL for big updates) while the next one is parsed and written; the
    previous thread is joined first, so the order holds and nothing outlives its chunk."""

    __slots__ = ("_sha", "_thread")

    def __init__(self) -> None:
        self._sha = hashlib.sha256()
        self._thread: threading.Thread | None = None

    def update(self, chunk: bytes) -> None:
        self._join()
        if len(chunk) < 1 << 16:
            self._sha.update(chunk)
            return
        self._thread = threading.Thread(target=self._sha.update, args=(chunk,), daemon=True)
        self._thread.start()

    def _join(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def hexdigest(self) -> str:
        self._join()
        return self._sha.hexdigest()


class LayerReader:
    """Reads a layer tar once: entries, DiffID (sha256 of every byte) and tar-split."""

    def __init__(self, stream: BinaryIO, *, tar_split: bool = True) -> None:
        self._stream = stream
        self._buf = b""
        self._pos = 0
        self._sha = _Hasher()
        self._total = 0
        self._seg: list[bytes] = []
        self._split = TarSplitWriter() if tar_split else None
        self._seen: set[str] = set()
        self._remaining = 0  # payload bytes of the current entry not yet consumed
        self._padding = 0
        self._crc = 0
        self._current: TarHeader | None = None
        self._at_end = False
        self._finished = False
        self._tar_split = b""

    # -- raw buffer ------------------------------------------------------------------------
    def _fill(self) -> bool:
        chunk = self._stream.read(CHUNK)
        if not chunk:
            return False
        self._sha.update(chunk)
        self._total += len(chunk)
        rest = len(self._buf) - self._pos
        self._buf = self._buf[self._pos:] + chunk if rest else chunk
        self._pos = 0
        return True

    def _raw(self, n: int) -> bytes:
        """Exactly n bytes of non-payload data (b"" at a clean end of stream)."""
        while len(self._buf) - self._pos < n:
            if not self._fill():
                if len(self._buf) == self._pos:
                    return b""
                raise MalformedArchive("read layer: unexpected end of tar stream")
        data = self._buf[self._pos:self._pos + n]
        self._pos += n
        self._seg.append(data)
        return data

    def _payload(self, limit: int) -> memoryview | None:
        if self._remaining <= 0:
            return None
        if self._pos >= len(self._buf) and not self._fill():
            name = self._current.name if self._current else "?"
            raise MalformedArchive(f"read layer: unexpected end of tar stream in {name}")
        n = min(len(self._buf) - self._pos, self._remaining, limit)
        mv = memoryview(self._buf)[self._pos:self._pos + n]
        self._pos += n
        self._remaining -= n
        if self._split is not None:
            self._crc = crc64.update(self._crc, mv)
        return mv

    # -- entries ---------------------------------------------------------------------------
    def entries(self) -> Iterator[TarEntry]:
        while (header := self._next()) is not None:
            yield TarEntry(header, self)

    def _close_entry(self) -> None:
        cur = self._current
        if cur is None:
            return
        while self._payload(CHUNK) is not None:
            pass
        if self._padding and len(self._raw(self._padding)) != self._padding:
            raise MalformedArchive(f"read layer: unexpected end of tar stream in {cur.name}")
        if self._split is not None:
            self._split.file(cur.raw_name, cur.size, self._crc if cur.size else None)
        self._current = None

    def _flush_segment(self) -> None:
        if self._seg:
            if self._split is not None:
                self._split.segment(b"".join(self._seg))
            self._seg.clear()

    def _next(self) -> TarHeader | None:
        self._close_entry()
        if self._at_end:
            return None
        header = self._read_header()
        if header is None:
            self._at_end = True
            self._flush_segment()
            return None
        self._flush_segment()
        key = _go_clean(header.raw_name.decode("utf-8", "surrogateescape"))
        if key in self._seen:
            raise MalformedArchive(f"read layer: duplicate path {header.name} in archive")
        self._seen.add(key)
        self._current = header
        self._remaining = 0 if header.kind in _HEADER_ONLY else header.size
        self._padding = -self._remaining % BLOCK
        self._crc = 0
        return header

    def _read_header(self) -> TarHeader | None:
        pax: dict[str, bytes] = {}
        longname = longlink = None
        while True:
            blk = self._raw(BLOCK)
            if not blk:
                return None
            if blk == ZERO_BLOCK:
                second = self._raw(BLOCK)
                if not second or second == ZERO_BLOCK:
                    return None
                raise MalformedArchive("read layer: invalid tar header after a zero block")
            _check_sum(blk)
            flag = blk[156]
            if flag in _KINDS:
                return self._header(blk, pax, longname, longlink)
            size = _num(blk[124:136], "size")
            if flag in (_PAX, _GLOBAL, _LONGNAME, _LONGLINK):
                if size < 0 or size > _MAX_SPECIAL:
                    raise MalformedArchive("read layer: invalid tar header: special file too big")
                data = self._raw(size + (-size % BLOCK))[:size] if size else b""
                if len(data) != size:
                    raise MalformedArchive("read layer: unexpected end of tar stream")
                if flag == _PAX:
                    pax.update(_parse_pax(data))
                    if any(k.startswith("GNU.sparse.") for k in pax):
                        raise Unsupported("read layer: sparse files are not supported")
                elif flag == _GLOBAL:
                    _parse_pax(data)
                    self._global_header(blk)
                    pax, longname, longlink = {}, None, None
                elif flag == _LONGNAME:
                    longname = _cstr(data)
                else:
                    longlink = _cstr(data)
                continue
            if flag == b"S"[0]:
                raise Unsupported("read layer: sparse files are not supported")
            raise MalformedArchive(f"read layer: unsupported tar entry type {chr(flag)!r}")

    def _global_header(self, blk: bytes) -> None:
        self._flush_segment()
        raw_name = _cstr(blk[0:100])
        key = _go_clean(raw_name.decode("utf-8", "surrogateescape"))
        if key in self._seen:
            raise MalformedArchive(f"read layer: duplicate path {key} in archive")
        self._seen.add(key)
        if self._split is not None:
            self._split.file(raw_name, 0, None)

    def _header(self, blk: bytes, pax: dict[str, bytes], longname: bytes | None,
                longlink: bytes | None) -> TarHeader:
        magic = blk[257:265]
        raw_name = _cstr(blk[0:100])
        if magic == b"ustar\x0000" and blk[345]:
            raw_name = _cstr(blk[345:500]) + b"/" + raw_name
        raw_link = _cstr(blk[157:257])
        size = _num(blk[124:136], "size")
        uid = _num(blk[108:116], "uid")
        gid = _num(blk[116:124], "gid")
        mtime: float = _num(blk[136:148], "mtime")
        xattrs: dict[str, bytes] = {}
        if pax:
            raw_name, raw_link, size, uid, gid, mtime = _apply_pax(
                pax, xattrs, raw_name, raw_link, size, uid, gid, mtime)
        if longname is not None:
            raw_name = longname
        if longlink is not None:
            raw_link = longlink
        kind = _KINDS[blk[156]]
        if kind is Kind.REG and blk[156] == 0 and raw_name.endswith(b"/"):
            kind = Kind.DIR
        if size < 0:
            raise MalformedArchive("read layer: invalid tar header: negative size")
        name = raw_name.decode("utf-8", "surrogateescape")
        return TarHeader(
            name=clean_name(name), kind=kind, mode=_num(blk[100:108], "mode") & 0o7777,
            uid=uid, gid=gid, size=size, mtime=mtime,
            linkname=raw_link.decode("utf-8", "surrogateescape"),
            devmajor=_num(blk[329:337], "devmajor") if kind in (Kind.CHAR, Kind.BLOCK) else 0,
            devminor=_num(blk[337:345], "devminor") if kind in (Kind.CHAR, Kind.BLOCK) else 0,
            xattrs=xattrs, raw_name=raw_name)

    # -- end -------------------------------------------------------------------------------
    def finish(self) -> None:
        """Consume everything left (entries, EOF marker, trailing bytes) into hash and tar-split."""
        if self._finished:
            return
        while self._next() is not None:
            pass
        while True:
            rest = self._buf[self._pos:]
            self._pos = len(self._buf)
            if rest and self._split is not None:
                self._split.segment(rest)
            if not self._fill():
                break
        self._finished = True
        if self._split is not None:
            self._tar_split = self._split.finish()

    def _require_finished(self) -> None:
        if not self._finished:
            raise RuntimeError("LayerReader.finish() must be called first")

    @property
    def diff_id(self) -> str:
        self._require_finished()
        return "sha256:" + self._sha.hexdigest()

    @property
    def size(self) -> int:
        self._require_finished()
        return self._total

    @property
    def tar_split(self) -> bytes:
        self._require_finished()
        return self._tar_split
