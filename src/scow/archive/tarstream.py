"""owns: reading tar streams in one forward pass that also hashes every byte (the layer's
DiffID) and records tar-split: `LayerReader` walks the blocks (headers decoded by
tarheader.py: USTAR, PAX ``x``/``g``, GNU ``L``/``K``, base-256 numbers), hands out each
`TarEntry` and its payload, rejects duplicate paths and a truncated stream.

Not ``tarfile``: headers are parsed straight from 512-byte blocks of 1 MiB reads, and payloads
are handed out as memoryviews of the read buffer, so the per-entry cost stays small.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from typing import BinaryIO

from scow.archive import crc64
from scow.archive.tarheader import (
    BLOCK,
    GLOBAL,
    HEADER_ONLY,
    KINDS,
    LONGLINK,
    LONGNAME,
    MAX_SPECIAL,
    PAX,
    ZERO_BLOCK,
    TarHeader,
    check_sum,
    cstr,
    go_clean,
    num,
    parse_header,
    parse_pax,
)
from scow.archive.tarsplit import TarSplitWriter
from scow.errors import MalformedArchive, Unsupported

CHUNK = 1 << 20


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
        key = go_clean(header.raw_name.decode("utf-8", "surrogateescape"))
        if key in self._seen:
            raise MalformedArchive(f"read layer: duplicate path {header.name} in archive")
        self._seen.add(key)
        self._current = header
        self._remaining = 0 if header.kind in HEADER_ONLY else header.size
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
            check_sum(blk)
            flag = blk[156]
            if flag in KINDS:
                return parse_header(blk, pax, longname, longlink)
            size = num(blk[124:136], "size")
            if flag in (PAX, GLOBAL, LONGNAME, LONGLINK):
                if size < 0 or size > MAX_SPECIAL:
                    raise MalformedArchive("read layer: invalid tar header: special file too big")
                data = self._raw(size + (-size % BLOCK))[:size] if size else b""
                if len(data) != size:
                    raise MalformedArchive("read layer: unexpected end of tar stream")
                if flag == PAX:
                    pax.update(parse_pax(data))
                    if any(k.startswith("GNU.sparse.") for k in pax):
                        raise Unsupported("read layer: sparse files are not supported")
                elif flag == GLOBAL:
                    parse_pax(data)
                    self._global_header(blk)
                    pax, longname, longlink = {}, None, None
                elif flag == LONGNAME:
                    longname = cstr(data)
                else:
                    longlink = cstr(data)
                continue
            if flag == b"S"[0]:
                raise Unsupported("read layer: sparse files are not supported")
            raise MalformedArchive(f"read layer: unsupported tar entry type {chr(flag)!r}")

    def _global_header(self, blk: bytes) -> None:
        self._flush_segment()
        raw_name = cstr(blk[0:100])
        key = go_clean(raw_name.decode("utf-8", "surrogateescape"))
        if key in self._seen:
            raise MalformedArchive(f"read layer: duplicate path {key} in archive")
        self._seen.add(key)
        if self._split is not None:
            self._split.file(raw_name, 0, None)

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
