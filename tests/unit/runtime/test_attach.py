"""The attach socket's framing."""

from __future__ import annotations

from scow.runtime.attach import STDIN, STDOUT, FrameReader, frame


def test_attach_frames_survive_any_chunking() -> None:
    data = frame(STDIN, b"hello") + frame(STDOUT, b"") + frame(STDIN, b"x" * 70000)
    reader = FrameReader()
    got = []
    for i in range(0, len(data), 7):
        got += reader.feed(data[i:i + 7])
    assert got == [(STDIN, b"hello"), (STDOUT, b""), (STDIN, b"x" * 70000)]
