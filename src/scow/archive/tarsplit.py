"""owns: tar-split metadata in moby's exact format (vbatts/tar-split ``storage.Entry`` NDJSON,
gzip'd), as stored in ``tar-split.json.gz``.

One JSON object per line, in stream order, ``position`` counting from 0::

    {"type":2,"payload":"<base64 raw header/padding bytes>","position":0}
    {"type":1,"name":"etc/passwd","size":1234,"payload":"<base64 crc64, 8 bytes BE>","position":1}
    {"type":1,"name":"etc/","payload":null,"position":2}

``name_raw`` (base64) replaces ``name`` for names that are not valid UTF-8. ``TarSplitWriter``
is fed by ``tarstream.LayerReader``; ``assemble`` rebuilds the original tar byte for byte from
the extracted files and checks each file's CRC-64.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from scow.archive import crc64
from scow.errors import DigestMismatch, MalformedArchive

SEGMENT = 2
FILE = 1
_COPY_CHUNK = 1 << 20


_PLAIN = frozenset(range(0x20, 0x7F)) - frozenset(b'"\\<>&')


def _go_json_string(name: str) -> bytes:
    """A JSON string the way Go's encoding/json writes it (HTML-safe escapes)."""
    raw = name.encode("utf-8", "surrogateescape")
    if raw.isascii() and _PLAIN.issuperset(raw):
        return b'"%s"' % raw
    text = json.dumps(name, ensure_ascii=False)
    if any(c in text for c in "<>&\u2028\u2029"):
        text = (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
                .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    return text.encode("utf-8")


class TarSplitWriter:
    """Accumulates tar-split entries, gzip-compressed in memory."""

    def __init__(self) -> None:
        from isal import isal_zlib
        self._z = isal_zlib.compressobj(1, isal_zlib.DEFLATED, 31)
        self._parts: list[bytes] = []
        self._lines: list[bytes] = []
        self._pending = 0
        self.position = 0

    def _emit(self, line: bytes) -> None:
        self._lines.append(line)
        self._pending += len(line)
        self.position += 1
        if self._pending >= 1 << 18:
            self._flush_lines()

    def _flush_lines(self) -> None:
        self._parts.append(self._z.compress(b"".join(self._lines)))
        self._lines.clear()
        self._pending = 0

    def segment(self, raw: bytes) -> None:
        self._emit(b'{"type":2,"payload":"%s","position":%d}\n'
                   % (base64.b64encode(raw), self.position))

    def file(self, raw_name: bytes, size: int, crc: int | None) -> None:
        try:
            name = b'"name":' + _go_json_string(raw_name.decode("utf-8"))
        except UnicodeDecodeError:
            name = b'"name_raw":"%s"' % base64.b64encode(raw_name)
        size_part = b'"size":%d,' % size if size else b""
        payload = (b'"%s"' % base64.b64encode(crc.to_bytes(8, "big"))
                   if crc is not None else b"null")
        self._emit(b'{"type":1,%s,%s"payload":%s,"position":%d}\n'
                   % (name, size_part, payload, self.position))

    def finish(self) -> bytes:
        self._flush_lines()
        self._parts.append(self._z.flush())
        return b"".join(self._parts)


def entries(tar_split: bytes) -> Iterator[dict[str, Any]]:
    """The decoded entries of a gzip'd tar-split stream."""
    for lineno, line in enumerate(lines(tar_split), 1):
        if line.strip():
            yield decode_line(line, lineno)


def lines(tar_split: bytes) -> list[bytes]:
    """The NDJSON lines of a gzip'd tar-split stream, not decoded (a reader that needs few
    entries decodes only those: `decode_line`); split at "\n" alone (a JSON line holds no
    raw control character; `bytes.splitlines` also looks for "\r" and costs more)."""
    from isal import isal_zlib
    try:
        return isal_zlib.decompress(tar_split, 47).split(b"\n")
    except Exception as exc:
        raise MalformedArchive(f"read tar-split: invalid gzip data: {exc}") from exc


def decode_line(line: bytes, lineno: int) -> dict[str, Any]:
    try:
        entry = json.loads(line)
    except ValueError as exc:
        raise MalformedArchive(f"read tar-split: line {lineno}: invalid json") from exc
    if not isinstance(entry, dict) or entry.get("type") not in (FILE, SEGMENT):
        raise MalformedArchive(f"read tar-split: line {lineno}: unknown entry type")
    return entry


def _entry_name(entry: dict[str, Any]) -> str:
    if "name_raw" in entry and entry["name_raw"] is not None:
        raw = base64.b64decode(entry["name_raw"])
        return raw.decode("utf-8", "surrogateescape")
    return str(entry.get("name", ""))


def entry_names(tar_split: bytes) -> Iterator[tuple[str, int]]:
    """(name as stored, size) for every FileType entry, in stream order."""
    for entry in entries(tar_split):
        if entry["type"] == FILE:
            yield _entry_name(entry), int(entry.get("size") or 0)


def file_entries(tar_split: bytes) -> Iterator[tuple[str, int, bytes]]:
    """(name as stored, size, CRC-64 of the payload as 8 big-endian bytes) for every FileType
    entry, in stream order."""
    for entry in entries(tar_split):
        if entry["type"] == FILE:
            crc = base64.b64decode(entry.get("payload") or "")
            yield _entry_name(entry), int(entry.get("size") or 0), crc


def assemble(tar_split: bytes, open_file: Callable[[str], BinaryIO], out: BinaryIO) -> None:
    """Write the original tar: segments verbatim, file payloads from `open_file(name)`."""
    for entry in entries(tar_split):
        if entry["type"] == SEGMENT:
            out.write(base64.b64decode(entry.get("payload") or ""))
            continue
        size = int(entry.get("size") or 0)
        if size <= 0:
            continue
        name = _entry_name(entry)
        want = base64.b64decode(entry.get("payload") or "")
        crc, copied = 0, 0
        with open_file(name) as f:
            while chunk := f.read(_COPY_CHUNK):
                crc = crc64.update(crc, chunk)
                copied += len(chunk)
                out.write(chunk)
        if copied != size or crc.to_bytes(8, "big") != want:
            raise DigestMismatch(f"verify layer file {name}: checksum mismatch")
