"""owns: the attach protocol on <container_dir>/attach.sock (a unix stream socket).

Frames both ways: 1 byte kind, 4 bytes big-endian length, payload.
    monitor -> client: STDOUT (1), STDERR (2), EXIT (3, payload = exit code in ASCII)
    client -> monitor: STDIN (0), CLOSE_STDIN (4), RESIZE (5, payload = struct "HH" rows, cols)
With a tty all output is STDOUT (raw pty bytes, \\r\\n endings). The socket is bound and
reached through /proc/self/fd/<dirfd>/attach.sock, so long container paths do not hit the
108-byte limit of unix socket addresses.
"""

from __future__ import annotations

import _socket  # the C module: socket.py loads selectors and enum tables (stop needs neither)
import os
import struct
import time
from collections.abc import Iterator

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    import socket

STDIN, STDOUT, STDERR, EXIT, CLOSE_STDIN, RESIZE = 0, 1, 2, 3, 4, 5
SOCKET = "attach.sock"
_HEADER = struct.Struct(">BI")


def frame(kind: int, payload: bytes) -> bytes:
    return _HEADER.pack(kind, len(payload)) + payload


def _short_path(container_dir: str, fn: object) -> None:
    dfd = os.open(container_dir, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fn(f"/proc/self/fd/{dfd}/{SOCKET}")  # type: ignore[operator]
    finally:
        os.close(dfd)


def listen(container_dir: str) -> socket.socket:
    """The monitor's listening socket (a stale socket file is replaced)."""
    import socket

    try:
        os.unlink(os.path.join(container_dir, SOCKET))
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    _short_path(container_dir, srv.bind)
    os.chmod(os.path.join(container_dir, SOCKET), 0o600)
    srv.listen(16)
    srv.setblocking(False)
    return srv


class FrameReader:
    """Reassembles frames from the bytes of a non-blocking socket, whatever their chunking."""

    def __init__(self) -> None:
        self._buf = b""

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        self._buf += data
        out: list[tuple[int, bytes]] = []
        while len(self._buf) >= _HEADER.size:
            kind, size = _HEADER.unpack_from(self._buf)
            end = _HEADER.size + size
            if len(self._buf) < end:
                break
            out.append((kind, self._buf[_HEADER.size:end]))
            self._buf = self._buf[end:]
        return out


def read_frames(conn: socket.socket) -> tuple[list[tuple[int, bytes]], bool]:
    """The frames available on `conn` (read blocking until whole); False when it closed."""
    frames: list[tuple[int, bytes]] = []
    header = _recv_exact(conn, _HEADER.size)
    if header is None:
        return frames, False
    kind, size = _HEADER.unpack(header)
    payload = _recv_exact(conn, size) if size else b""
    if payload is None:
        return frames, False
    frames.append((kind, payload))
    return frames, True


def _recv_exact(conn: socket.socket, n: int) -> bytes | None:
    buf = b""
    blocking = conn.getblocking()
    conn.setblocking(True)
    try:
        while len(buf) < n:
            chunk = conn.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
    except OSError:
        return None
    finally:
        conn.setblocking(blocking)
    return buf


class ExitWatch:
    """A silent client of the monitor: the monitor closes its clients once a run's exit is
    recorded, so waiting for the exit is a blocking read of this connection, not polling of
    state.json. Made before the stop signal; `wait` returns False when no monitor listened
    (the caller then reads the state as before)."""

    def __init__(self, container_dir: str) -> None:
        self.sock: _socket.socket | None = _socket.socket(
            _socket.AF_UNIX, _socket.SOCK_STREAM | _socket.SOCK_CLOEXEC)
        try:
            _short_path(container_dir, self.sock.connect)
        except OSError:
            self.close()

    def wait(self, timeout: float | None) -> bool:
        """True once the monitor closed the connection (the run ended), False after `timeout`
        seconds or without a monitor; the container's output it sends meanwhile is dropped."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.sock is not None:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.sock.settimeout(left)
            try:
                if self.sock.recv(65536):
                    continue
            except TimeoutError:
                return False
            except OSError:
                pass
            self.close()
            return True
        return False

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


class AttachConnection:
    """A client of a container's monitor: output frames in, stdin and resizes out."""

    def __init__(self, container_dir: str) -> None:
        import socket

        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        _short_path(container_dir, self.sock.connect)
        self.exit_code: int | None = None

    def fileno(self) -> int:
        return self.sock.fileno()

    def frames(self) -> Iterator[tuple[int, bytes]]:
        """(kind, payload) for STDOUT/STDERR output until the monitor closes; EXIT sets
        `exit_code`."""
        while True:
            got, alive = read_frames(self.sock)
            for kind, payload in got:
                if kind == EXIT:
                    self.exit_code = int(payload or b"-1")
                else:
                    yield kind, payload
            if not alive:
                self.close()
                return

    def send_stdin(self, data: bytes) -> None:
        self.sock.sendall(frame(STDIN, data))

    def close_stdin(self) -> None:
        self.sock.sendall(frame(CLOSE_STDIN, b""))

    def resize(self, rows: int, cols: int) -> None:
        self.sock.sendall(frame(RESIZE, struct.pack("HH", rows, cols)))

    def close(self) -> None:
        """Also wakes a thread reading `frames` (a bare close does not, on Linux)."""
        try:
            self.sock.shutdown(_socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def __enter__(self) -> AttachConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
