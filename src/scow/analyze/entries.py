"""owns: reading one layer's tar-split (moby's ``tar-split.json.gz``) into `Entry` records,
with each entry's tar header (type, mode, owner) recovered from the raw segment bytes that
precede it; nothing is extracted.

tar-split keeps every header block verbatim in the ``type 2`` segments; the 512 bytes just
before a ``type 1`` (file) entry are that entry's ustar header (any PAX or GNU long-name
records come before it), so type, mode, uid and gid are read from there and the name and size
from the file entry itself.
"""

from __future__ import annotations

import base64
import posixpath
from typing import NamedTuple

from scow.archive.tarsplit import FILE, SEGMENT, decode_line, entries, lines

BLOCK = 512
WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
_SKIPPED_TYPES = frozenset("gxXLK")


class Entry(NamedTuple):
    path: str  # cleaned, relative, without a trailing slash: "etc/passwd"
    size: int
    kind: str  # the tar typeflag: "0" file, "1" hard link, "2" symlink, "5" directory...
    mode: int
    uid: int
    gid: int
    crc: bytes | None  # CRC-64 of a regular file's content, as tar-split stores it

    @property
    def is_dir(self) -> bool:
        return self.kind == "5"

    @property
    def is_regular(self) -> bool:
        return self.kind in ("0", "\0", "7")

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def is_whiteout(self) -> bool:
        return self.name.startswith(WHITEOUT)

    @property
    def is_opaque(self) -> bool:
        return self.name == OPAQUE

    @property
    def target(self) -> str:
        """The path a whiteout removes (the entry's own path otherwise)."""
        if not self.is_whiteout or self.is_opaque:
            return self.path
        head, _, name = self.path.rpartition("/")
        name = name[len(WHITEOUT):]
        return f"{head}/{name}" if head else name


def clean(name: str) -> str:
    """Go's path.Clean of a tar name, made relative ("" for the root)."""
    cleaned = posixpath.normpath("/" + name).lstrip("/")
    return "" if cleaned == "." else cleaned


def read_layer(tar_split: bytes, keep: set[str] | None = None) -> list[Entry]:
    """The entries of one layer, in stream order (the root "." and global headers left out);
    with `keep`, only those whose cleaned path is in it (`_read_kept`)."""
    if keep is not None:
        return _read_kept(tar_split, keep)
    out: list[Entry] = []
    raw = bytearray()
    for entry in entries(tar_split):
        if entry["type"] == SEGMENT:
            raw += base64.b64decode(entry.get("payload") or "")
            if len(raw) > 4 * BLOCK:
                del raw[:-4 * BLOCK]
            continue
        if entry["type"] != FILE:
            continue
        name = _name(entry)
        header = bytes(raw[-BLOCK:]) if len(raw) >= BLOCK else b""
        raw.clear()
        made = _entry(name, int(entry.get("size") or 0), header, entry.get("payload"))
        if made is not None:
            out.append(made)
    return out


_SEGMENT_LINE = b'{"type":2,'  # how archive/tarsplit.py's writer starts a segment line


def _read_kept(tar_split: bytes, keep: set[str]) -> list[Entry]:
    """read_layer's entries at `keep`'s paths: the segment lines before a file entry (its
    header) are decoded only when its path is kept, so a base layer's thousands of headers
    cost a build's findings (analyze/image.py) little."""
    out: list[Entry] = []
    pending: list[bytes] = []
    for lineno, line in enumerate(lines(tar_split), 1):
        if line.startswith(_SEGMENT_LINE):
            pending.append(line)
            continue
        if not line.strip():
            continue
        quick = _plain_name(line)
        if quick is not None and clean(quick) not in keep:
            pending = []
            continue
        entry = decode_line(line, lineno)
        if entry["type"] == SEGMENT:
            pending.append(line)
            continue
        name = _name(entry)
        segments, pending = pending, []
        if clean(name) not in keep:
            continue
        raw = b"".join(base64.b64decode(decode_line(seg, lineno).get("payload") or "")
                       for seg in segments)
        made = _entry(name, int(entry.get("size") or 0), raw[-BLOCK:] if len(raw) >= BLOCK
                      else b"", entry.get("payload"))
        if made is not None:
            out.append(made)
    return out


_FILE_NAME = b'{"type":1,"name":"'  # a file line of that writer, its name first


def _plain_name(line: bytes) -> str | None:
    """The name of a file line written as `_FILE_NAME` with no escape in it, without decoding
    the line; None for any other line (decoded in full)."""
    if not line.startswith(_FILE_NAME):
        return None
    end = line.find(b'"', len(_FILE_NAME))
    name = line[len(_FILE_NAME):end]
    if end < 0 or b"\\" in name:
        return None
    try:
        return name.decode()
    except UnicodeDecodeError:
        return None


def _name(entry: dict[str, object]) -> str:
    name_raw = entry.get("name_raw")
    if isinstance(name_raw, str):
        return base64.b64decode(name_raw).decode("utf-8", "surrogateescape")
    return str(entry.get("name") or "")


def _entry(name: str, size: int, header: bytes, payload: object) -> Entry | None:
    kind, mode, uid, gid = _parse_header(header, name)
    path = clean(name)
    if kind in _SKIPPED_TYPES or not path:
        return None
    if kind == "\0" and name.endswith("/"):
        kind = "5"
    crc = base64.b64decode(payload) if isinstance(payload, str) and payload else None
    return Entry(path, size, kind, mode, uid, gid, crc)


def _parse_header(block: bytes, name: str) -> tuple[str, int, int, int]:
    """(typeflag, mode, uid, gid) of a ustar/GNU header block; a guess from the name if the
    block is missing or its checksum is wrong."""
    if len(block) != BLOCK or not _checksum_ok(block):
        return ("5" if name.endswith("/") else "0"), 0, 0, 0
    kind = chr(block[156]) if block[156] else "\0"
    return kind, _number(block[100:108]), _number(block[108:116]), _number(block[116:124])


def _checksum_ok(block: bytes) -> bool:
    stored = _number(block[148:156])
    unsigned = sum(block[:148]) + 8 * 32 + sum(block[156:])
    return stored == unsigned


def _number(field: bytes) -> int:
    """A tar numeric field: octal text, or base-256 when the high bit of byte 0 is set."""
    if field and field[0] & 0x80:
        value = field[0] & 0x7F
        for byte in field[1:]:
            value = (value << 8) | byte
        return value
    text = field.split(b"\0", 1)[0].strip(b" \0")
    try:
        return int(text, 8) if text else 0
    except ValueError:
        return 0
