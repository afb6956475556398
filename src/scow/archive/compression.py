"""owns: sniffing and (de)compressing layer streams: gzip via isal, zstd via backports.zstd.

``detect`` looks at the first bytes only; ``decompressed`` wraps a forward-only stream (no seek
needed: it peeks through a buffered reader) and turns codec failures into one-line
``MalformedArchive`` errors; ``compressor`` returns a writer that must be closed (it does not
close ``out``).
"""

from __future__ import annotations

import io
from typing import Any, BinaryIO, Literal, cast

from scow.errors import MalformedArchive, Unsupported

Kind = Literal["gzip", "zstd", "none"]

_GZIP = b"\x1f\x8b"
_ZSTD = b"\x28\xb5\x2f\xfd"
_BZIP2 = b"BZh"
_XZ = b"\xfd7zXZ\x00"
SNIFF_BYTES = 10


def detect(head: bytes) -> Kind:
    """The compression of a stream from its first bytes (10 are enough)."""
    if head.startswith(_GZIP):
        return "gzip"
    if head.startswith(_ZSTD):
        return "zstd"
    if head.startswith(_BZIP2):
        raise Unsupported("decompress layer: bzip2 compression is not supported")
    if head.startswith(_XZ):
        raise Unsupported("decompress layer: xz compression is not supported")
    return "none"


def _zstd() -> Any:
    import importlib
    try:
        return importlib.import_module("compression.zstd")  # Python 3.14+
    except ImportError:
        return importlib.import_module("backports.zstd")


class _Guarded(io.RawIOBase):
    """A reader that turns codec errors into MalformedArchive."""

    def __init__(self, inner: Any, kind: str) -> None:
        self._inner = inner
        self._kind = kind

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        try:
            return int(self._inner.readinto(b))
        except EOFError as exc:
            raise MalformedArchive(f"decompress layer: truncated {self._kind} stream") from exc
        except Exception as exc:  # zlib.error, ZstdError, OSError from the codec
            if isinstance(exc, MalformedArchive):
                raise
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise MalformedArchive(
                f"decompress layer: invalid {self._kind} data: {reason}") from exc

    def read(self, size: int = -1) -> bytes:
        try:
            return cast(bytes, self._inner.read(size))
        except EOFError as exc:
            raise MalformedArchive(f"decompress layer: truncated {self._kind} stream") from exc
        except Exception as exc:
            if isinstance(exc, MalformedArchive):
                raise
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise MalformedArchive(
                f"decompress layer: invalid {self._kind} data: {reason}") from exc

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            super().close()


def decompressed(stream: BinaryIO) -> BinaryIO:
    """A reader of the decompressed bytes of `stream` (gzip, zstd or plain tar)."""
    buffered: Any = stream if hasattr(stream, "peek") else io.BufferedReader(
        cast(Any, stream), 1 << 16)
    head = bytes(buffered.peek(SNIFF_BYTES)[:SNIFF_BYTES])
    kind = detect(head)
    if kind == "none":
        return cast(BinaryIO, buffered)
    if kind == "gzip":
        from isal import igzip
        gzip_file: Any = igzip.IGzipFile
        inner: Any = gzip_file(fileobj=buffered, mode="rb")
    else:
        inner = _zstd().ZstdFile(buffered, mode="rb")
    return cast(BinaryIO, io.BufferedReader(_Guarded(inner, kind), 1 << 20))


def compressor(out: BinaryIO, kind: Kind = "gzip", level: int | None = None) -> BinaryIO:
    """A writer compressing into `out`; closing it flushes the trailer but leaves `out` open."""
    if kind == "gzip":
        from isal import igzip
        gzip_file: Any = igzip.IGzipFile
        lvl = 1 if level is None else max(0, min(level, 3))
        return cast(BinaryIO, gzip_file(filename="", fileobj=out, mode="wb",
                                        compresslevel=lvl, mtime=0))
    if kind == "zstd":
        return cast(BinaryIO, _zstd().ZstdFile(out, mode="wb",
                                               level=3 if level is None else level))
    if kind == "none":
        return cast(BinaryIO, _Uncompressed(out))
    raise Unsupported(f"compress layer: unknown compression {kind!r}")


class _Uncompressed(io.RawIOBase):
    def __init__(self, out: BinaryIO) -> None:
        self._out = out

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        self._out.write(b)
        return len(b)
