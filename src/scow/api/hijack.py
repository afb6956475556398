"""owns: docker's hijacked connections (attach, exec start): the `101 UPGRADED` answer after
which the socket carries raw bytes both ways, the client's half-close (its stdin ended:
only the process's stdin is closed, output goes on), the 8-byte multiplexed frames of a
stream without a tty, and `POST /containers/{id}/attach`.

An attach made before the container runs (the CLI's `run`: attach, wait, then start on
another connection) waits in `PENDING`; the start route starts the container with the
library's `start(attach=True)` and hands the connection over, so no output is missed."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import struct
import threading
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from aiohttp import web

from scow.api.app import ENGINE
from scow.api.blocking import on_loop, run_blocking
from scow.api.operations import run_operation
from scow.api.params import qbool
from scow.engine.containers.streams import STDERR, AttachConnection
from scow.errors import InvalidArgument

routes = web.RouteTableDef()
PENDING: web.AppKey[dict[str, list[asyncio.Future[AttachConnection | None]]]] = \
    web.AppKey("pending_attach", dict)
# exit codes seen by attaches (the EXIT frame), for a wait whose container --rm removed
EXIT_CODES: web.AppKey[dict[str, int]] = web.AppKey("exit_codes", dict)
_HEADER = struct.Struct(">BxxxI")


def init_app(app: web.Application) -> None:
    """The attach connections parked until their container starts, and the exit codes of
    `--rm` containers taken from their attach's exit frame."""
    app[PENDING] = {}
    app[EXIT_CODES] = {}


def frame(kind: int, payload: bytes) -> bytes:
    """docker's multiplexed frame: stream (1 stdout, 2 stderr), 3 zero bytes, length."""
    return _HEADER.pack(kind, len(payload)) + payload


class _Tail:
    """Takes the bytes aiohttp read past the request (handed over by `set_parser`)."""

    def __init__(self) -> None:
        self.data = b""

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        self.data += data
        return False, b""

    def feed_eof(self) -> None:
        pass


class RawStream(asyncio.Protocol):
    """The socket after the 101: client bytes to `on_data`, its half-close to `on_eof`
    (the connection stays open for output), `closed` set when it is gone. Its loss is
    passed on to aiohttp's protocol it took over from (`before`): aiohttp counts that one
    among its connections until told (else each attach and exec stayed there, ~15 KB
    each, and the idle timeout never came)."""

    def __init__(self, on_data: Callable[[bytes], None], on_eof: Callable[[], None],
                 before: asyncio.BaseProtocol | None = None) -> None:
        self.on_data, self.on_eof = on_data, on_eof
        self.before = before
        self.closed = asyncio.Event()
        self._eof = False

    def data_received(self, data: bytes) -> None:
        if not self._eof:
            self.on_data(data)

    def eof_received(self) -> bool:
        self._end_input()
        return True  # keep the write side open: output goes on after the client's stdin ended

    def connection_lost(self, exc: Exception | None) -> None:
        self._end_input()
        self.closed.set()
        if self.before is not None:
            before, self.before = self.before, None
            before.connection_lost(exc)

    def _end_input(self) -> None:
        if not self._eof:
            self._eof = True
            self.on_eof()


class Hijacked:
    """A hijacked connection: `send` from the loop, `send_threadsafe` from a worker."""

    def __init__(self, transport: asyncio.Transport, stream: RawStream) -> None:
        self.transport, self.stream = transport, stream
        self.loop = asyncio.get_running_loop()

    def send(self, data: bytes) -> None:
        if data and not self.transport.is_closing():
            self.transport.write(data)

    def send_threadsafe(self, data: bytes) -> None:
        self.loop.call_soon_threadsafe(self.send, data)

    def close(self) -> None:
        self.transport.close()

    def detach(self) -> None:
        """End the connection now (the detach keys): shut down, since a process started
        meanwhile (an exec's runc) may hold a copy of the socket, then close."""
        sock = self.transport.get_extra_info("socket")
        if sock is not None:  # through a copy: uvloop's transport socket has no shutdown()
            with contextlib.suppress(OSError), socket.socket(fileno=os.dup(sock.fileno())) as s:
                s.shutdown(socket.SHUT_RDWR)
        self.transport.abort()


async def hijack(request: web.Request, on_data: Callable[[bytes], None],
                 on_eof: Callable[[], None]) -> tuple[web.StreamResponse, Hijacked]:
    """Answer 101 and take the socket over (dockerd hijacks even without `Upgrade`)."""
    response = web.StreamResponse(status=101, reason="UPGRADED", headers={
        "Content-Type": "application/vnd.docker.raw-stream", "Connection": "Upgrade",
        "Upgrade": "tcp"})
    await response.prepare(request)
    # asyncio's Transport or uvloop's (the same methods, not a subclass)
    transport = request.transport
    protocol = request.protocol
    assert transport is not None
    tail = _Tail()
    protocol.set_parser(tail)  # type: ignore[arg-type]  # the bytes read past the request
    stream = RawStream(on_data, on_eof, protocol)
    transport.set_protocol(stream)
    early = b""
    if not request.content.at_eof():  # an upgraded request's parser fed them to its body
        with contextlib.suppress(Exception):
            early = request.content.read_nowait()
    if early or tail.data:
        on_data(early + tail.data)
    if transport.is_closing():
        stream.closed.set()
    return response, Hijacked(transport, stream)


def pump_frames(frames: Iterator[tuple[int, bytes]], out: Hijacked, *, tty: bool,
                wanted: set[int]) -> None:
    """(worker thread) Output frames to the client: raw with a tty, multiplexed otherwise."""
    for kind, payload in frames:
        if kind in wanted:
            out.send_threadsafe(payload if tty else frame(kind, payload))


class Stopping(Exception):
    """The service stops (SIGTERM) while `in_thread(..., stopping=)` waits."""


async def in_thread(fn: Callable[..., Any], *args: Any,
                    stopping: asyncio.Event | None = None) -> Any:
    """`fn(*args)` on a thread of its own: for work that lasts as long as a container or a
    client (waits, follows, pumps), which must not hold the shared pool's few threads.
    With `stopping` (the app's STOPPING), the service's stop raises Stopping at once, as
    dockerd's cuts such requests: the thread (a daemon) goes on until the process ends; a
    stop otherwise waited for the container to exit or its drain's deadline."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def run() -> None:
        try:
            result = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the loop
            outcome: tuple[Any, BaseException | None] = (None, exc)
        else:
            outcome = (result, None)
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile (the stop)
            loop.call_soon_threadsafe(_settle, future, *outcome)

    threading.Thread(target=run, daemon=True, name="scow-api-stream").start()
    if stopping is None:
        return await future
    stop = asyncio.ensure_future(stopping.wait())
    try:
        await asyncio.wait((future, stop), return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()
    if not future.done():
        future.cancel()
        raise Stopping()
    return future.result()


def _settle(future: asyncio.Future[Any], result: Any, exc: BaseException | None) -> None:
    if future.done():
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)


def detach_keys(text: str | None) -> bytes:
    """docker's detach keys (`ctrl-p,ctrl-q` by default): a comma-separated list of single
    characters and `ctrl-<a..z, @, [, \\, ], ^, _>`; as the bytes the terminal sends."""
    if text is None or text == "":
        text = "ctrl-p,ctrl-q"
    out = bytearray()
    for key in text.split(","):
        if len(key) == 1:
            out.append(ord(key))
        elif key.startswith("ctrl-") and len(key) == 6 and key[5].lower() in \
                "abcdefghijklmnopqrstuvwxyz@[\\]^_":
            char = key[5].lower()
            out.append(ord(char) - ord("a") + 1 if char.isalpha() else ord(char) - 64)
        else:
            raise InvalidArgument(f"Invalid detach keys ({key}) provided")
    return bytes(out)


class DetachScanner:
    """Watches the client's stdin for the detach sequence: bytes that may begin it are held
    back until it is complete (then `feed` returns None: detach) or broken (they go on)."""

    def __init__(self, keys: bytes) -> None:
        self.keys, self.held = keys, b""

    def feed(self, data: bytes) -> bytes | None:
        out = bytearray()
        for byte in data:
            if byte == self.keys[len(self.held)]:
                self.held += bytes((byte,))
                if self.held == self.keys:
                    return None
                continue
            out += self.held
            self.held = b""
            if byte == self.keys[0]:
                self.held = bytes((byte,))
            else:
                out.append(byte)
        return bytes(out)


class _StdinForward:
    """The client's bytes to the container's stdin, kept until the connection is there;
    the client's half-close closes the stdin; the detach keys end the attach (`on_detach`)."""

    def __init__(self, enabled: bool, keys: bytes = b"") -> None:
        self.enabled = enabled
        self.conn: AttachConnection | None = None
        self.early: list[bytes] = []
        self.ended = False
        self.scanner = DetachScanner(keys) if keys else None
        self.on_detach: Callable[[], None] = lambda: None
        self.detached = False

    def data(self, data: bytes) -> None:
        if self.scanner is not None and self.enabled:
            kept = self.scanner.feed(data)
            if kept is None:
                self.enabled, self.detached = False, True
                self.on_detach()
                return
            data = kept
        if self.enabled and self.conn is not None:
            with contextlib.suppress(OSError):  # the container has gone
                self.conn.send_stdin(data)
        elif self.enabled:
            self.early.append(data)

    def eof(self) -> None:
        self.ended = True
        if self.enabled and self.conn is not None:
            with contextlib.suppress(OSError):
                self.conn.close_stdin()

    def connected(self, conn: AttachConnection) -> None:
        self.conn = conn
        if self.enabled:
            for data in self.early:
                conn.send_stdin(data)
            if self.ended:
                conn.close_stdin()


@routes.post("/containers/{id}/attach")
async def attach(request: web.Request) -> web.StreamResponse:
    engine = request.app[ENGINE]
    q = request.query
    info = on_loop(engine.containers.inspect, request.match_info["id"])
    cid, tty = info["Id"], bool(info["Config"].get("Tty"))
    wanted = {k for k, on in ((1, qbool(q, "stdout")), (STDERR, qbool(q, "stderr"))) if on}
    stdin = _StdinForward(qbool(q, "stdin") and bool(info["Config"].get("OpenStdin")),
                          detach_keys(q.get("detachKeys")))
    response, out = await hijack(request, stdin.data, stdin.eof)
    stdin.on_detach = lambda: _detach(stdin, out)
    if stdin.detached:  # the keys came with the request
        _detach(stdin, out)
    stream, running = qbool(q, "stream") or "stream" not in q, bool(info["State"].get("Running"))
    # parked before the logs are sent: a start that comes meanwhile must find this attach
    future = _park(request, cid) if stream and not running else None
    if qbool(q, "logs"):
        await asyncio.sleep(0.05)  # docker-py reads the socket unbuffered after http.client
        await _send_logs(engine, cid, out, tty, wanted)  # read the 101: not in one segment
    conn = None
    if stream:
        conn = await _until_closed(out, _connect(request, cid, future))
    if future is not None and future in request.app[PENDING].get(cid, []):
        request.app[PENDING][cid].remove(future)  # the client went before the start
    if conn is None:
        out.close()
        return response
    stdin.connected(conn)
    try:
        await in_thread(lambda: pump_frames(conn.frames(), out, tty=tty, wanted=wanted))
    finally:
        if conn.exit_code is not None:
            request.app[EXIT_CODES][cid] = conn.exit_code
        conn.close()
        out.close()
    return response


def _detach(stdin: _StdinForward, out: Hijacked) -> None:
    """The detach keys: the client's connection ends, the container runs on."""
    out.detach()
    if stdin.conn is not None:
        stdin.conn.close()


async def _until_closed(out: Hijacked, waiting: Coroutine[Any, Any, AttachConnection | None]
                        ) -> AttachConnection | None:
    """What `waiting` gives, or None once the client has gone (an attach that waited for a
    start which never came must not stay registered)."""
    connect = asyncio.ensure_future(waiting)
    closed = asyncio.ensure_future(out.stream.closed.wait())
    await asyncio.wait({connect, closed}, return_when=asyncio.FIRST_COMPLETED)
    closed.cancel()
    if not connect.done():
        connect.cancel()
        return None
    return connect.result()


def _park(request: web.Request, cid: str) -> asyncio.Future[AttachConnection | None]:
    """A future that the container's next start settles with its attach connection."""
    future: asyncio.Future[AttachConnection | None] = asyncio.get_running_loop().create_future()
    request.app[PENDING].setdefault(cid, []).append(future)
    return future


async def _connect(request: web.Request, cid: str,
                   future: asyncio.Future[AttachConnection | None] | None
                   ) -> AttachConnection | None:
    """The container's attach connection: now when it runs (no `future`), else at its
    start."""
    engine = request.app[ENGINE]
    if future is None:
        return await run_blocking(engine.containers.attach, cid)
    try:
        return await future
    finally:
        waiting = request.app[PENDING].get(cid, [])
        if future in waiting:
            waiting.remove(future)


async def start_attached(request: web.Request, cid: str) -> bool:
    """Start the container for the attaches waiting on it (the start route, in an operation
    of its own: the attach connection is the monitor's, it outlives the operation); False
    when it was already running."""
    app = request.app
    engine = app[ENGINE]
    waiting = app[PENDING].pop(cid, [])
    try:
        started = await run_operation(request, lambda op: op.containers.start(cid, attach=True))
    except BaseException:
        for future in waiting:
            _settle(future, None, None)
        raise
    if started is None:
        for future in waiting:
            _settle(future, None, None)
        return False
    first = started.attach
    for future in waiting:
        conn = first if first is not None else \
            await run_blocking(engine.containers.attach, cid)
        first = None
        if future.done():
            conn.close()
        else:
            future.set_result(conn)
    if first is not None:
        first.close()
    return True


async def _send_logs(engine: Any, cid: str, out: Hijacked, tty: bool, wanted: set[int]) -> None:
    entries = await run_blocking(lambda: list(engine.containers.logs(cid)))
    for e in entries:
        kind = STDERR if e.stream == "stderr" else 1
        if kind in wanted:
            out.send(e.data if tty else frame(kind, e.data))
