"""owns: the event log of one root: an append-only file of docker's event messages, written by
every process that changes the root (CLI commands, library calls, container monitors, the API
service) and read by `scow events` / `Engine.events` / the API's `/events`.

    <root>/events/events.log      JSON lines, one event a line, oldest first
    <root>/events/events.log.1    the previous file, after a rotation
    <root>/events/rotate.lock     flock: rotation (exclusive) and replay (shared)

A write is one `write()` of one line on an O_APPEND fd (< 4 KiB, so atomic between processes
on a local file system): no fsync, no SQLite connection, no lock; events are advisory, as
dockerd's in-memory ring is. When the file passes `max_size` the writer that noticed renames it
to events.log.1 (replacing the older one) under the exclusive flock, so the log holds at most
about 2 x max_size. A writer that still holds the renamed file open appends to .1, which
readers read first. Followers poll the file's size (see docs/design/events.md: 50 ms).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Iterator

from scow.fastjson import dumps, loads

TYPE_CHECKING = False  # typing costs start-up on short commands (scow/typeshim.py)
if TYPE_CHECKING:
    from typing import Any

LOG_DIR = "events"
LOG_FILE = "events.log"
LOCK_FILE = "rotate.lock"
MAX_SIZE = 4 << 20  # bytes of events.log before it is rotated
MAX_LINE = 4000  # one write() below PIPE_BUF-like 4 KiB: attributes are cut to fit
POLL = 0.05  # seconds between size checks of a follower

if TYPE_CHECKING:
    Event = dict[str, Any]  # one event, docker's message shape


class EventLog:
    """The event log of the root `root` (see the module doc). Thread-safe: appends are single
    writes and readers keep their own file descriptors."""

    def __init__(self, root: str, *, max_size: int = MAX_SIZE) -> None:
        self.folder = os.path.join(root, LOG_DIR)
        self.path = os.path.join(self.folder, LOG_FILE)
        self.max_size = max_size

    def append(self, event: Event) -> None:
        """Append one event; never raises for an I/O failure (events are advisory)."""
        line = _encode(event)
        if not line:
            return
        try:
            fd = self._open_append()
        except OSError:
            return
        try:
            os.write(fd, line)
            size = os.fstat(fd).st_size
        except OSError:
            return
        finally:
            os.close(fd)
        if size > self.max_size:
            with contextlib.suppress(OSError):
                self._rotate()

    def _open_append(self) -> int:
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
        try:
            return os.open(self.path, flags, 0o600)
        except FileNotFoundError:
            self._make_folder()
            return os.open(self.path, flags, 0o600)

    def _make_folder(self) -> None:
        """<root>/events, never the root itself: a monitor outliving its root (removed by
        hand) must not make it again."""
        with contextlib.suppress(FileExistsError):
            os.mkdir(self.folder, 0o700)

    def _rotate(self) -> None:
        with self._locked(fcntl.LOCK_EX):
            if os.stat(self.path).st_size > self.max_size:  # not rotated by another writer
                os.replace(self.path, self.path + ".1")

    @contextlib.contextmanager
    def _locked(self, how: int) -> Iterator[None]:
        self._make_folder()
        fd = os.open(os.path.join(self.folder, LOCK_FILE),
                     os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, how)
            yield
        finally:
            os.close(fd)

    def read(self, *, follow: bool = False,
             stop: Callable[[], bool] | None = None) -> Iterator[Event]:
        """The events in the log, oldest first; with `follow`, then every new one as it is
        written, until `stop()` is true (checked every poll) or the caller stops iterating."""
        try:
            with self._locked(fcntl.LOCK_SH):  # no rotation between opening .1 and the current
                old = _open_read(self.path + ".1")
                cur = _open_read(self.path)
        except FileNotFoundError:  # no root (any more): no event
            return
        if old is not None:
            with old:
                yield from _lines(old)
        if cur is None:
            if not follow:
                return
            cur = self._wait_for_file(stop)
            if cur is None:
                return
        try:
            yield from _lines(cur)
            if follow:
                yield from self._follow(cur, stop)
        finally:
            cur.close()

    def _wait_for_file(self, stop: Callable[[], bool] | None) -> Any:
        while stop is None or not stop():
            f = _open_read(self.path)
            if f is not None:
                return f
            time.sleep(POLL)
        return None

    def _follow(self, cur: Any, stop: Callable[[], bool] | None) -> Iterator[Event]:
        """Tail `cur`; when the path names another file (rotated), drain `cur` and switch."""
        buf = b""
        while stop is None or not stop():
            chunk = cur.read()
            if chunk:
                buf += chunk
                *done, buf = buf.split(b"\n")
                yield from _decode_all(done)
                continue
            try:
                st = os.stat(self.path)
            except FileNotFoundError:
                st = None
            if st is not None and st.st_ino != os.fstat(cur.fileno()).st_ino:
                rest = cur.read()  # written to the old file before the rename
                yield from _decode_all((buf + rest).split(b"\n"))
                buf = b""
                cur.close()
                cur = open(self.path, "rb")  # noqa: SIM115 - closed on the next switch/exit
                continue
            time.sleep(POLL)
        cur.close()


def _encode(event: Event) -> bytes:
    line = dumps(event, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
    if len(line) <= MAX_LINE:
        return line
    attrs = dict(event.get("Actor", {}).get("Attributes", {}))
    for key in sorted(attrs, key=lambda k: -len(attrs[k])):  # cut the longest values first
        attrs[key] = attrs[key][:64]
        trimmed = {**event, "Actor": {**event["Actor"], "Attributes": attrs}}
        line = dumps(trimmed, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
        if len(line) <= MAX_LINE:
            return line
    return line[:0]


def _open_read(path: str) -> Any:
    try:
        return open(path, "rb")  # noqa: SIM115 - the caller closes it
    except FileNotFoundError:
        return None


def _lines(f: Any) -> Iterator[Event]:
    for raw in f:
        if raw.endswith(b"\n"):
            yield from _decode_all((raw,))
        else:  # a line being written: leave it for the follower
            f.seek(-len(raw), os.SEEK_CUR)
            return


def _decode_all(lines: Any) -> Iterator[Event]:
    for raw in lines:
        raw = raw.strip()
        if not raw:
            continue
        try:
            event = loads(raw)
        except ValueError:
            continue  # a torn or foreign line: skipped, as a reader of an advisory log
        if isinstance(event, dict):
            yield event
