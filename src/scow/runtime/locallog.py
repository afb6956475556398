"""owns: docker's `local` log driver format, written and read back:

    <container_dir>/local-logs/container.log[.N[.gz]]   one frame an entry: a 4-byte
        big-endian size, moby's protobuf LogEntry {1 source: string, 2 time_nano: int64,
        3 line: bytes, 4 partial: bool}, the size again

As moby's local driver, `line` has no trailing newline (a `partial` entry, 16 KiB of a line
that has none yet, has none to drop); rotation and compression are json-file's
(scow.runtime.logs). No PartialLogMetadata and no attributes are written; readers skip fields
they do not know.
"""

from __future__ import annotations

import struct

from scow.runtime.logs import JsonFileWriter, LogEntry

LOCAL_DIR = "local-logs"
_MAX_FRAME = 1 << 20


def _varint(n: int) -> bytes:
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def encode_entry(stream: str, data: bytes, time_ns: int) -> bytes:
    """One framed LogEntry."""
    partial = not data.endswith(b"\n")
    line = data if partial else data[:-1]
    proto = _field(1, stream.encode()) + _varint(2 << 3) + _varint(time_ns) + _field(3, line)
    if partial:
        proto += _varint(4 << 3) + b"\x01"
    size = struct.pack(">I", len(proto))
    return size + proto + size


def _read_varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        if i >= len(buf) or shift > 63:
            raise ValueError("truncated varint")
        byte = buf[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, i


def decode_entry(proto: bytes) -> LogEntry:
    from scow.runtime.state import rfc3339nano

    fields: dict[int, bytes | int] = {}
    i = 0
    while i < len(proto):
        key, i = _read_varint(proto, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            fields[number], i = _read_varint(proto, i)
        elif wire == 2:
            size, i = _read_varint(proto, i)
            fields[number], i = proto[i:i + size], i + size
        elif wire in (1, 5):
            i += 8 if wire == 1 else 4
        else:
            raise ValueError(f"wire type {wire}")
    source, line = fields.get(1, b""), fields.get(3, b"")
    assert isinstance(source, bytes) and isinstance(line, bytes)
    time_ns = int(fields.get(2, 0))
    if time_ns >= 1 << 63:
        time_ns -= 1 << 64
    return LogEntry(source.decode("utf-8", "replace"), rfc3339nano(time_ns),
                    line if fields.get(4) else line + b"\n")


def local_split(buf: bytes) -> tuple[list[LogEntry], bytes]:
    """The whole frames of `buf` decoded, and the rest (a frame being written); a frame
    that cannot be decoded ends the reading of what is left (docker's decoder gives up too)."""
    out: list[LogEntry] = []
    i = 0
    while len(buf) - i >= 4:
        size = struct.unpack(">I", buf[i:i + 4])[0]
        if size > _MAX_FRAME:
            return out, b""
        if len(buf) - i < size + 8:
            break
        try:
            out.append(decode_entry(buf[i + 4:i + 4 + size]))
        except (ValueError, AssertionError):
            return out, b""
        i += size + 8
    return out, buf[i:]


class LocalFileWriter(JsonFileWriter):
    """The json-file writer's lines, rotation and compression, in the local format."""

    def __init__(self, path: str, *, max_size: int = -1, max_file: int = 1,
                 compress: bool = False) -> None:
        import os

        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        super().__init__(path, max_size=max_size, max_file=max_file, compress=compress)

    def encode(self, stream: str, data: bytes, now: str | None) -> bytes:
        import time

        return encode_entry(stream, data, time.time_ns())
