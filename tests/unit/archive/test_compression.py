from __future__ import annotations

import io

import pytest

from scow.archive import compression
from scow.errors import MalformedArchive, Unsupported

DATA = b"layer bytes " * 50_000


@pytest.mark.parametrize("kind", ["gzip", "zstd", "none"])
def test_round_trip_through_a_pipe_like_stream(kind: str) -> None:
    buf = io.BytesIO()
    w = compression.compressor(buf, kind)
    w.write(DATA)
    w.close()
    assert compression.detect(buf.getvalue()[:10]) == kind

    class NoSeek(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self._b = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, b):  # type: ignore[no-untyped-def]
            return self._b.readinto(b)

    assert compression.decompressed(NoSeek(buf.getvalue())).read() == DATA  # type: ignore[arg-type]


@pytest.mark.parametrize("head,what", [(b"BZh91AY&SY", "bzip2"), (b"\xfd7zXZ\x00\x00", "xz")])
def test_bzip2_and_xz_are_refused_by_name(head: bytes, what: str) -> None:
    with pytest.raises(Unsupported, match=what):
        compression.detect(head)


@pytest.mark.parametrize("kind", ["gzip", "zstd"])
def test_truncated_or_garbage_input_is_one_line_malformed(kind: str) -> None:
    buf = io.BytesIO()
    w = compression.compressor(buf, kind)  # type: ignore[arg-type]
    w.write(bytes(range(256)) * 4000)
    w.close()
    blob = buf.getvalue()
    for bad in (blob[: len(blob) // 2], blob[:12] + b"\x00garbage" * 50):
        with pytest.raises(MalformedArchive) as info:
            compression.decompressed(io.BytesIO(bad)).read()
        assert "\n" not in str(info.value)
