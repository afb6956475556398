"""owns: build progress as BuildKit shows it: on a terminal, a redrawn block
(``[+] Building 6.0s (11/11) FINISHED`` then ``=> CACHED [2/3] COPY . /app   0.0s`` rows);
otherwise BuildKit's plain lines (``#5 [2/3] COPY . /app`` ... ``#5 DONE 0.1s``); or nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import IO, Protocol
else:
    from scow.typeshim import Protocol


class Vertex:
    """One step on screen: its name, its output lines, and how it ended."""

    def __init__(self, owner: _Base, number: int, name: str) -> None:
        self.owner, self.number, self.name = owner, number, name
        self.started = time.monotonic()
        self.ended: float | None = None
        self.cached = False
        self.failed: str | None = None
        self.logs: list[str] = []
        self._partial = b""

    def log(self, data: bytes) -> None:
        *lines, self._partial = (self._partial + data).split(b"\n")
        for raw in lines:
            self._emit(raw)

    def _emit(self, raw: bytes) -> None:
        line = raw.decode("utf-8", errors="replace").rstrip("\r")
        self.logs.append(line)
        self.owner.on_log(self, line)

    def done(self, cached: bool = False) -> None:
        if self.ended is None:
            self.flush()
            self.cached = cached
            self.ended = time.monotonic()
            self.owner.on_done(self)

    def error(self, message: str) -> None:
        if self.ended is None:
            self.flush()
            self.failed = message
            self.ended = time.monotonic()
            self.owner.on_done(self)

    def flush(self) -> None:
        if self._partial:
            raw, self._partial = self._partial, b""
            self._emit(raw)

    @property
    def elapsed(self) -> float:
        return (self.ended or time.monotonic()) - self.started


class Progress(Protocol):
    def vertex(self, name: str) -> AbstractContextManager[Vertex]:
        """A step shown from the with-block's start to its end (done unless told)."""

    def finish(self, seconds: float) -> None:
        """The build is over (successfully)."""


class _Base:
    def __init__(self, out: IO[str] | None) -> None:
        self.out = out
        self.vertices: list[Vertex] = []
        self.lock = threading.RLock()
        self.started = time.monotonic()

    @contextmanager
    def vertex(self, name: str) -> Iterator[Vertex]:
        with self.lock:
            v = Vertex(self, len(self.vertices) + 1, name)
            self.vertices.append(v)
            self.on_start(v)
        try:
            yield v
        except BaseException as exc:
            v.error(str(exc))
            raise
        v.done(v.cached)

    def on_start(self, v: Vertex) -> None: ...

    def on_log(self, v: Vertex, line: str) -> None: ...

    def on_done(self, v: Vertex) -> None: ...

    def finish(self, seconds: float) -> None: ...


class QuietProgress(_Base):
    """``-q``: nothing on screen."""


class PlainProgress(_Base):
    """``--progress=plain``: BuildKit's numbered lines."""

    def _write(self, text: str) -> None:
        assert self.out is not None
        with self.lock:
            self.out.write(text)
            self.out.flush()

    def on_start(self, v: Vertex) -> None:
        self._write(f"#{v.number} {v.name}\n")

    def on_log(self, v: Vertex, line: str) -> None:
        self._write(f"#{v.number} {v.elapsed:.3f} {line}\n")

    def on_done(self, v: Vertex) -> None:
        if v.failed is not None:
            self._write(f"#{v.number} ERROR: {v.failed}\n")
        elif v.cached:
            self._write(f"#{v.number} CACHED\n\n")
        else:
            self._write(f"#{v.number} DONE {v.elapsed:.1f}s\n\n")


class TtyProgress(_Base):
    """A terminal: the whole block is redrawn in place on every change."""

    def __init__(self, out: IO[str]) -> None:
        super().__init__(out)
        self._drawn = 0
        self._finished = False

    def on_start(self, v: Vertex) -> None:
        self.redraw()

    def on_log(self, v: Vertex, line: str) -> None:
        self.redraw()

    def on_done(self, v: Vertex) -> None:
        self.redraw()

    def finish(self, seconds: float) -> None:
        self._finished = True
        self.redraw(seconds)

    def render(self, seconds: float | None = None) -> list[str]:
        import shutil  # the tty display only

        width = max(40, shutil.get_terminal_size((100, 24)).columns)
        total = len(self.vertices)
        done = sum(1 for v in self.vertices if v.ended is not None)
        took = seconds if seconds is not None else time.monotonic() - self.started
        state = " FINISHED" if self._finished else ""
        lines = [f"[+] Building {took:.1f}s ({done}/{total}){state}"]
        for v in self.vertices:
            name = ("CACHED " if v.cached else "") + v.name
            if v.failed is not None:
                name = "ERROR " + v.name
            timing = f"{v.elapsed:.1f}s"
            room = width - len(timing) - 5
            if len(name) > room:
                name = name[: max(0, room - 3)] + "..."
            lines.append(f" => {name:<{room}} {timing}")
            if v.ended is None or v.failed is not None:
                lines.extend(f" => => # {line}"[:width] for line in v.logs[-6:])
        return lines

    def redraw(self, seconds: float | None = None) -> None:
        assert self.out is not None
        with self.lock:
            lines = self.render(seconds)
            up = f"\x1b[{self._drawn}A" if self._drawn else ""
            self.out.write(up + "".join(f"\x1b[2K{line}\n" for line in lines) + "\x1b[J")
            self.out.flush()
            self._drawn = len(lines)


def make_progress(out: IO[str], mode: str = "auto") -> _Base:
    """``auto`` picks tty or plain from `out`; also ``plain``, ``tty``, ``quiet``."""
    if mode == "quiet":
        return QuietProgress(None)
    if mode == "tty" or (mode == "auto" and out.isatty()):
        return TtyProgress(out)
    return PlainProgress(out)
