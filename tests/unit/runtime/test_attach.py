"""The attach socket's framing."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from scow.runtime.attach import STDIN, STDOUT, ExitWatch, FrameReader, frame, listen


def test_attach_frames_survive_any_chunking() -> None:
    data = frame(STDIN, b"hello") + frame(STDOUT, b"") + frame(STDIN, b"x" * 70000)
    reader = FrameReader()
    got = []
    for i in range(0, len(data), 7):
        got += reader.feed(data[i:i + 7])
    assert got == [(STDIN, b"hello"), (STDOUT, b""), (STDIN, b"x" * 70000)]


def test_exit_watch_returns_when_the_monitor_closes_its_clients(tmp_path: Path) -> None:
    """`stop` waits for the exit as a silent attach client: output is dropped, the monitor's
    close (after it recorded the exit) ends the wait; a timeout returns False."""
    srv = listen(str(tmp_path))
    srv.setblocking(True)
    watch = ExitWatch(str(tmp_path))
    conn, _ = srv.accept()
    assert not watch.wait(0.05)  # nothing closed yet: the timeout
    conn.sendall(frame(STDOUT, b"x" * 200000))  # the container's output meanwhile
    threading.Timer(0.2, conn.close).start()
    start = time.monotonic()
    assert watch.wait(10)
    assert 0.1 < time.monotonic() - start < 5
    srv.close()


def test_exit_watch_without_a_monitor(tmp_path: Path) -> None:
    watch = ExitWatch(str(tmp_path))  # no attach.sock: the monitor is gone
    assert not watch.wait(None)
    watch.close()
