"""owns: the tar header format as layers use it: the entry kinds, `TarHeader`, and decoding
one 512-byte header block (USTAR with its prefix, GNU ``L``/``K`` long names, PAX ``x``/``g``
records with SCHILY xattrs, octal and base-256 numbers, the checksum) into a `TarHeader`,
with Go's archive/tar error wording. Names are cleaned as moby cleans them (`clean_name`).

The stream reader that walks blocks, hashes and records tar-split is tarstream.py.
"""

from __future__ import annotations

import enum
import posixpath
from dataclasses import dataclass, field

from scow.errors import MalformedArchive

BLOCK = 512
ZERO_BLOCK = bytes(BLOCK)


class Kind(enum.Enum):
    REG = "0"
    HARDLINK = "1"
    SYMLINK = "2"
    CHAR = "3"
    BLOCK = "4"
    DIR = "5"
    FIFO = "6"


KINDS = {b"0"[0]: Kind.REG, 0: Kind.REG, b"7"[0]: Kind.REG, b"1"[0]: Kind.HARDLINK,
          b"2"[0]: Kind.SYMLINK, b"3"[0]: Kind.CHAR, b"4"[0]: Kind.BLOCK, b"5"[0]: Kind.DIR,
          b"6"[0]: Kind.FIFO}
PAX, GLOBAL, LONGNAME, LONGLINK = b"x"[0], b"g"[0], b"L"[0], b"K"[0]
MAX_SPECIAL = 1 << 20  # Go's maxSpecialFileSize
# Go reads no payload for these whatever their size field says
HEADER_ONLY = frozenset((Kind.DIR, Kind.SYMLINK, Kind.HARDLINK, Kind.CHAR, Kind.BLOCK,
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


def go_clean(name: str) -> str:
    """Go's filepath.Clean (keeps one leading slash)."""
    if not name:
        return "."
    cleaned = posixpath.normpath(name)
    return "/" + cleaned.lstrip("/") if cleaned.startswith("/") else cleaned


def cstr(field_: bytes) -> bytes:
    i = field_.find(0)
    return field_ if i < 0 else field_[:i]


def num(field_: bytes, what: str) -> int:
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


def check_sum(blk: bytes) -> None:
    want = num(blk[148:156], "checksum")
    unsigned = sum(blk) - sum(blk[148:156]) + 256
    if want == unsigned:
        return
    signed = unsigned - 2 * sum(b for b in blk if b > 127) + 2 * sum(
        b for b in blk[148:156] if b > 127)
    if want != signed:
        raise MalformedArchive("read layer: invalid tar header: checksum mismatch")


def parse_pax(data: bytes) -> dict[str, bytes]:
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


def parse_header(blk: bytes, pax: dict[str, bytes], longname: bytes | None,
                 longlink: bytes | None) -> TarHeader:
    """The entry a USTAR/GNU block describes, with the PAX records and GNU long names that
    came before it applied."""
    magic = blk[257:265]
    raw_name = cstr(blk[0:100])
    if magic == b"ustar\x0000" and blk[345]:
        raw_name = cstr(blk[345:500]) + b"/" + raw_name
    raw_link = cstr(blk[157:257])
    size = num(blk[124:136], "size")
    uid = num(blk[108:116], "uid")
    gid = num(blk[116:124], "gid")
    mtime: float = num(blk[136:148], "mtime")
    xattrs: dict[str, bytes] = {}
    if pax:
        raw_name, raw_link, size, uid, gid, mtime = _apply_pax(
            pax, xattrs, raw_name, raw_link, size, uid, gid, mtime)
    if longname is not None:
        raw_name = longname
    if longlink is not None:
        raw_link = longlink
    kind = KINDS[blk[156]]
    if kind is Kind.REG and blk[156] == 0 and raw_name.endswith(b"/"):
        kind = Kind.DIR
    if size < 0:
        raise MalformedArchive("read layer: invalid tar header: negative size")
    name = raw_name.decode("utf-8", "surrogateescape")
    return TarHeader(
        name=clean_name(name), kind=kind, mode=num(blk[100:108], "mode") & 0o7777,
        uid=uid, gid=gid, size=size, mtime=mtime,
        linkname=raw_link.decode("utf-8", "surrogateescape"),
        devmajor=num(blk[329:337], "devmajor") if kind in (Kind.CHAR, Kind.BLOCK) else 0,
        devminor=num(blk[337:345], "devminor") if kind in (Kind.CHAR, Kind.BLOCK) else 0,
        xattrs=xattrs, raw_name=raw_name)
