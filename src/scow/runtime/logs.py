"""owns: docker's json-file container logs: writing with rotation, reading for `scow logs`.

    <container_dir>/container.log     newest entries, one JSON object a line:
        {"log":"hi\\n","stream":"stdout","time":"2026-11-29T09:15:13.786102607Z"}
    <container_dir>/container.log.1   the previous file, ... up to container.log.<max_file-1>
                                      (container.log.<i>.gz with `compress`)

Like moby's loggerutils: before a write, when the current file has reached `max_size` bytes,
container.log.<i> moves to .<i+1> (the oldest falls off) and container.log to .1; with
max_file 1 the file is truncated instead. Output is split into lines; a partial line is held
back until its newline, 16 KiB of it, or the stream's end (docker's partial messages).
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Iterator

from scow.fastjson import dumps, loads

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from dataclasses import dataclass
    from typing import BinaryIO
else:
    from scow.typeshim import dataclass

LOG_FILE = "container.log"
LOG_MODE = 0o640
_MAX_LINE = 16 * 1024


@dataclass(frozen=True)
class LogEntry:
    stream: str  # stdout | stderr
    time: str  # RFC3339Nano
    data: bytes


class JsonFileWriter:
    """Append container output to `path` as json-file lines, rotating at `max_size`."""

    def __init__(self, path: str, *, max_size: int = -1, max_file: int = 1,
                 compress: bool = False) -> None:
        self.path = path
        self.compress = compress
        self.max_size = max_size
        self.max_file = max(1, max_file)
        self._f = _open(path, os.O_APPEND)  # lives as long as the writer
        self._size = self._f.tell()
        self._partial: dict[str, bytes] = {}

    def write(self, stream: str, data: bytes, now: str | None = None) -> None:
        buf = self._partial.pop(stream, b"") + data
        while True:
            cut = buf.find(b"\n")
            if cut < 0 and len(buf) < _MAX_LINE:
                break
            end = cut + 1 if cut >= 0 else _MAX_LINE
            self._entry(stream, buf[:end], now)
            buf = buf[end:]
        if buf:
            self._partial[stream] = buf

    def flush_partial(self) -> None:
        for stream, buf in list(self._partial.items()):
            self._entry(stream, buf, None)
        self._partial.clear()

    def encode(self, stream: str, data: bytes, now: str | None) -> bytes:
        """One entry as stored (a json-file line; scow.runtime.locallog overrides it)."""
        from scow.runtime.state import rfc3339nano

        return dumps({"log": data.decode("utf-8", "replace"), "stream": stream,
                      "time": now or rfc3339nano()}, ensure_ascii=False,
                     separators=(",", ":")).encode() + b"\n"

    def _entry(self, stream: str, data: bytes, now: str | None) -> None:
        line = self.encode(stream, data, now)
        if self.max_size > 0 and self._size >= self.max_size:
            self._rotate()
        self._f.write(line)
        self._f.flush()
        self._size += len(line)

    def _rotate(self) -> None:
        self._f.close()
        if self.max_file > 1:
            gz = ".gz" if self.compress else ""
            for i in range(self.max_file - 1, 1, -1):
                older = f"{self.path}.{i - 1}{gz}"
                if os.path.exists(older):
                    os.replace(older, f"{self.path}.{i}{gz}")
            os.replace(self.path, f"{self.path}.1")
            if self.compress:
                _gzip(f"{self.path}.1")
        self._f = _open(self.path, os.O_TRUNC)
        self._size = 0

    def close(self) -> None:
        self.flush_partial()
        self._f.close()


def _gzip(path: str) -> None:
    """`path` → `path`.gz (moby compresses a file once it is rotated)."""
    import gzip
    import shutil

    with open(path, "rb") as src, open(os.open(path + ".gz.tmp", os.O_WRONLY | os.O_CREAT
                                               | os.O_TRUNC | os.O_CLOEXEC, LOG_MODE),
                                       "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb") as dst:
        shutil.copyfileobj(src, dst)
    os.replace(path + ".gz.tmp", path + ".gz")
    os.unlink(path)


def _open(path: str, flag: int) -> BinaryIO:
    """A log file opened for writing, born 0640 as docker's json-file logs."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC | flag, LOG_MODE)
    return open(fd, "ab" if flag == os.O_APPEND else "wb")  # noqa: SIM115


Splitter = Callable[[bytes], tuple[list[LogEntry], bytes]]


def json_split(buf: bytes) -> tuple[list[LogEntry], bytes]:
    """The whole json-file lines of `buf` parsed (bad ones skipped), and the rest."""
    *lines, rest = buf.split(b"\n")
    return [e for e in map(_parse, lines) if e is not None], rest


def _parse(line: bytes) -> LogEntry | None:
    try:
        raw = loads(line)
        return LogEntry(raw["stream"], raw["time"], raw["log"].encode())
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _files(path: str) -> list[str]:
    """The log files, oldest first."""
    rotated = []
    i = 1
    while True:
        name = next((n for n in (f"{path}.{i}", f"{path}.{i}.gz") if os.path.exists(n)), None)
        if name is None:
            break
        rotated.append(name)
        i += 1
    return [*reversed(rotated), path]


def read_logs(path: str, *, tail: int | None = None, since: str | None = None,
              until: str | None = None, follow: bool = False,
              stopped: Callable[[], bool] = lambda: True,
              poll: float = 0.1, split: Splitter = json_split) -> Iterator[LogEntry]:
    """Entries of a json-file log (and its rotated files; another format with `split`); with
    `follow`, new entries until `stopped()` turns true. `since`/`until` are RFC3339Nano
    strings (compared in UTC)."""

    def keep(e: LogEntry) -> bool:
        return (since is None or _ts(e.time) >= _ts(since)) and (
            until is None or _ts(e.time) <= _ts(until))

    entries: deque[LogEntry] = deque(maxlen=tail if tail is not None and tail >= 0 else None)
    offset = 0
    for name in _files(path):
        try:
            with _read(name) as f:
                pending, size = b"", 0
                while chunk := f.read(1 << 16):
                    size += len(chunk)
                    found, pending = split(pending + chunk)
                    entries.extend(e for e in found if keep(e))
                if name == path:  # an entry being written: the follower reads it whole
                    offset = size - len(pending)
        except FileNotFoundError:
            continue
    if tail != 0:
        yield from entries
    if follow:
        yield from _follow(path, offset, keep, stopped, poll, split)


def _read(name: str) -> BinaryIO:
    if name.endswith(".gz"):
        import gzip

        return gzip.open(name, "rb")  # type: ignore[return-value]
    return open(name, "rb")  # noqa: SIM115


def _follow(path: str, offset: int, keep: Callable[[LogEntry], bool],
            stopped: Callable[[], bool], poll: float, split: Splitter) -> Iterator[LogEntry]:
    """Entries appended to `path` after `offset`, across rotations, until `stopped()`."""
    while True:
        try:
            f = open(path, "rb")  # noqa: SIM115
            break
        except FileNotFoundError:
            if stopped():
                return
            time.sleep(poll)
            offset = 0
    f.seek(offset)
    pending = b""
    try:
        while True:
            done = stopped()  # read once more after the container stopped
            chunk = f.read()
            if chunk:
                found, pending = split(pending + chunk)
                yield from (e for e in found if keep(e))
                continue
            if done:
                return
            if _rotated(f, path):
                f.close()
                f = open(path, "rb")  # noqa: SIM115
                pending = b""
                continue
            time.sleep(poll)
    finally:
        f.close()


def _rotated(f: object, path: str) -> bool:
    try:
        return os.stat(path).st_ino != os.fstat(f.fileno()).st_ino  # type: ignore[attr-defined]
    except FileNotFoundError:
        return False


def _ts(value: str) -> tuple[str, str]:
    """A sortable key for an RFC3339Nano UTC time: (seconds part, fraction padded)."""
    head, _, frac = value.rstrip("Z").partition(".")
    return head, frac.ljust(9, "0")


def format_entry(e: LogEntry, *, timestamps: bool = False) -> bytes:
    """The bytes `docker logs` prints for an entry (time and a space first with -t)."""
    return (e.time.encode() + b" " + e.data) if timestamps else e.data
