"""owns: the terminal side of an attached container (run, start -a, attach): output frames to
stdout/stderr, stdin to the container, the local terminal in raw mode for `-t`."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scow.engine.containers.streams import AttachConnection


def pump(conn: AttachConnection, *, stdin: bool, tty: bool,
         streams: frozenset[str] = frozenset({"stdout", "stderr"})) -> int | None:
    """Copy the container's output until it exits; its exit code (None if unknown).
    `streams`: the output streams shown (`-a/--attach`), the others dropped."""
    from scow.engine.containers.streams import STDERR

    if stdin:
        threading.Thread(target=_feed, args=(conn,), daemon=True).start()
    out, err = sys.stdout.buffer, sys.stderr.buffer
    with _raw_terminal(tty and stdin):
        if tty:
            _resize(conn)
        for kind, payload in conn.frames():
            if ("stderr" if kind == STDERR else "stdout") not in streams:
                continue
            target = err if kind == STDERR else out
            target.write(payload)
            target.flush()
    return conn.exit_code


def _feed(conn: AttachConnection) -> None:
    fd = sys.stdin.fileno()
    try:
        while True:
            data = os.read(fd, 65536)
            if not data:
                conn.close_stdin()
                return
            conn.send_stdin(data)
    except OSError:
        return


def _resize(conn: AttachConnection) -> None:
    try:
        size = os.get_terminal_size(sys.stdout.fileno())
    except OSError:
        return
    with contextlib.suppress(OSError):
        conn.resize(size.lines, size.columns)


@contextlib.contextmanager
def _raw_terminal(enable: bool) -> Iterator[None]:
    if not enable or not sys.stdin.isatty():
        yield
        return
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    tty.setraw(fd)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
