"""owns: docker's pull/push/load progress display (moby's pkg/jsonmessage, as the CLI renders
it): one row per layer ID (`f476d66f5408: Downloading [==>   ]  1.2MB/3.4MB`) updated in place
with cursor-up/down escapes on a terminal; on anything else one plain line per status and no
bars (rows whose bar has text are dropped, exactly as docker does).

Thread-safe: workers of a pool call `update` concurrently; each call writes whole escapes.
"""

from __future__ import annotations

import os
import threading
from typing import TextIO

from scow.format import units

BAR_WIDTH = 50
_DEFAULT_WIDTH = 200  # docker's width when the terminal size is unknown (daemon side)

ERASE_LINE = "\x1b[2K"


def human_size(size: float) -> str:
    """go-units HumanSize: decimal units, 4 significant digits (`1.235MB`, `169B`)."""
    return units.human_size(size, precision=4)


def progress_text(current: int, total: int, width: int = _DEFAULT_WIDTH) -> str:
    """jsonmessage JSONProgress.String(): `[====>     ]  1.2MB/3.4MB` (bar only when the
    terminal is wider than 110 columns); '' when there is nothing to show."""
    if current <= 0 and total <= 0:
        return ""
    if total <= 0:
        return f"{human_size(current):>8}"
    filled = min(int(current / total * 100) // 2, BAR_WIDTH)
    bar = ""
    if width > 110:
        bar = f"[{'=' * filled}>{' ' * max(BAR_WIDTH - filled, 0)}] "
    numbers = f"{human_size(current):>8}/{human_size(total)}"
    if current > total:
        numbers = f"{human_size(current):>8}"  # docker drops a wonky total
    return bar + numbers


def cursor_up(n: int) -> str:
    return f"\x1b[{n}A" if n > 0 else ""


def cursor_down(n: int) -> str:
    return f"\x1b[{n}B" if n > 0 else ""


class ProgressWriter:
    """Rows keyed by ID, rendered as docker's CLI does for `pull`, `push` and `load`."""

    def __init__(self, out: TextIO, *, tty: bool | None = None,
                 width: int | None = None) -> None:
        self._out = out
        self._tty = _isatty(out) if tty is None else tty
        self._width = width if width is not None else _terminal_width(out, self._tty)
        self._rows: dict[str, int] = {}
        self._lock = threading.Lock()

    @property
    def tty(self) -> bool:
        return self._tty

    def update(self, id: str, status: str, current: int | None = None,
               total: int | None = None) -> None:
        """Set the row of `id` to `status` (with a bar when `current`/`total` are given):
        `Pulling fs layer`, `Waiting`, `Downloading`, `Verifying Checksum`, `Download
        complete`, `Extracting`, `Pull complete`, `Already exists`; `Preparing`, `Pushing`,
        `Pushed`, `Layer already exists`, `Mounted from library/x`."""
        bar = progress_text(current or 0, total or 0, self._width) \
            if current is not None or total is not None else ""
        with self._lock:
            if not self._tty:
                if not bar:  # docker prints no progress-bar messages when not a terminal
                    self._out.write(f"{id}: {status}\n")
                    self._out.flush()
                return
            row = self._rows.get(id)
            parts: list[str] = []
            if row is None:
                row = self._rows[id] = len(self._rows)
                parts.append("\n")
            diff = len(self._rows) - row
            parts += [cursor_up(diff), ERASE_LINE, "\r", f"{id}: ", f"{status} {bar}\r",
                      cursor_down(diff)]
            self._out.write("".join(parts))
            self._out.flush()

    def line(self, text: str, id: str | None = None) -> None:
        """A plain message (`Digest: sha256:...`, `latest: Pulling from library/busybox`);
        rows above it are no longer updated, as in docker."""
        with self._lock:
            self._rows.clear()
            self._out.write(f"{id}: {text}\n" if id else f"{text}\n")
            self._out.flush()


def _isatty(out: TextIO) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError):
        return False


def _terminal_width(out: TextIO, tty: bool) -> int:
    if not tty:
        return _DEFAULT_WIDTH
    try:
        return os.get_terminal_size(out.fileno()).columns or _DEFAULT_WIDTH
    except (AttributeError, ValueError, OSError):
        return _DEFAULT_WIDTH
