"""owns: running engine work off the event loop: `run_blocking` on the thread pool (the
Engine is thread-safe), the quick reads kept on the loop (`on_loop`), a request body read
from a worker thread (`body_file`), and the
streamed answers whose content a worker thread produces: docker's JSON message streams
(`stream_messages`: one object + CRLF per chunk, an error before the first message is a
plain HTTP error, one after it an `errorDetail` message) and binary streams (`stream_bytes`,
e.g. `docker save`'s tar)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import io
import json
import logging
import threading
from collections.abc import Callable
from typing import Any, BinaryIO, TypeVar, cast

from aiohttp import web

from scow.errors import ScowError

log = logging.getLogger("scow.api")

T = TypeVar("T")
Emit = Callable[[dict[str, Any]], None]
_END = object()


async def run_blocking(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)` on the loop's thread pool."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, functools.partial(fn, *args, **kwargs))


def on_loop(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)` on the event loop itself. For the quick reads only (listings
    and inspects without sizes: a few SQLite queries and small files, ~0.3 ms): a worker
    thread's hand-off costs more than that (~0.5 ms of CPU a request, bench scenario 10).
    Whatever may wait (a lock, a subprocess, a walk of a container's files) or writes goes
    through run_blocking. (A running container whose monitor died is repaired through runc
    by the read that finds it, once; that read holds the loop that long.)"""
    return fn(*args, **kwargs)


class _RawBody(io.RawIOBase):
    """The request body as a raw blocking file."""

    def __init__(self, request: web.Request, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self.content = request.content
        self.loop = loop

    def readable(self) -> bool:
        return True

    async def _read(self, n: int) -> bytes:
        return await self.content.read(n)

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = asyncio.run_coroutine_threadsafe(self._read(len(view)), self.loop).result()
        view[:len(data)] = data
        return len(data)


def body_file(request: web.Request) -> BinaryIO:
    """The request body as a blocking binary file, for a worker thread (never the loop's)."""
    raw = _RawBody(request, asyncio.get_running_loop())
    return cast(BinaryIO, io.BufferedReader(raw, 1 << 16))


def encode(message: dict[str, Any]) -> bytes:
    """One jsonmessage as dockerd writes it (JSON, CRLF)."""
    return json.dumps(message, separators=(",", ":")).encode() + b"\r\n"


def error_message(exc: BaseException) -> dict[str, Any]:
    text = str(exc) if isinstance(exc, ScowError) else f"{type(exc).__name__}: {exc}"
    return {"errorDetail": {"message": text}, "error": text}


class _Pipe:
    """Items from a worker thread to the loop, at most `slots` in flight (a slow client
    slows the worker down instead of filling memory); `_END` or an exception closes it.
    Once the reader is gone (`close`), the worker's next `put` raises ConnectionResetError,
    so its operation fails and cleans up instead of blocking forever."""

    def __init__(self, loop: asyncio.AbstractEventLoop, slots: int = 64) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[object] = asyncio.Queue()
        self.free = threading.Semaphore(slots)
        self.closed = False

    def put(self, item: object) -> None:
        while not self.free.acquire(timeout=0.5):
            if self.closed:
                break
        if self.closed:
            raise ConnectionResetError("the client went away")
        self.loop.call_soon_threadsafe(self.queue.put_nowait, item)

    async def get(self) -> object:
        item = await self.queue.get()
        if item is not _END and not isinstance(item, BaseException):
            self.free.release()
        return item

    def close(self) -> None:
        self.closed = True

    def run(self, work: Callable[[], None]) -> asyncio.Future[None]:
        def target() -> None:
            try:
                work()
            except BaseException as exc:  # noqa: BLE001 - handed to the loop
                self._end(exc)
            else:
                self._end(_END)
        return self.loop.run_in_executor(None, target)

    def _end(self, item: object) -> None:
        self.loop.call_soon_threadsafe(self.queue.put_nowait, item)


async def stream_messages(request: web.Request, work: Callable[[Emit], None], *,
                          hold: Callable[[dict[str, Any]], bool] = lambda m: False,
                          gone: threading.Event | None = None) -> web.StreamResponse:
    """Run `work(emit)` in a thread and stream what it emits as a jsonmessage stream. The
    first messages for which `hold` is true wait for one that is not: a failure before it
    is a plain HTTP error (dockerd's pull answers a missing tag with a 404, not a stream).
    `gone` is set when the client closes its connection, even while `work` emits nothing
    (a build's long RUN step), so that `work` can stop; the handler then waits for it."""
    pipe = _Pipe(asyncio.get_running_loop())
    task = pipe.run(lambda: work(pipe.put))
    response: web.StreamResponse | None = None
    try:
        held: list[object] = []
        while isinstance(first := await _next(request, pipe, gone), dict) and hold(first):
            held.append(first)
        if isinstance(first, BaseException):
            await task
            raise first
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for message in held:
            await response.write(encode(cast(dict[str, Any], message)))
        item = first
        while item is not _END:
            if isinstance(item, BaseException):
                await response.write(encode(error_message(item)))
                break
            await response.write(encode(cast(dict[str, Any], item)))
            item = await _next(request, pipe, gone)
    except _ClientGone:
        pipe.close()
        with contextlib.suppress(Exception):
            await task  # the work ends on its own (`gone`), or at its next emit
        return response or web.Response(status=499)  # no one reads it
    finally:
        pipe.close()
    await task
    await response.write_eof()
    return response


class _ClientGone(Exception):
    """The client of a streamed answer closed its connection."""


async def _next(request: web.Request, pipe: _Pipe, gone: threading.Event | None) -> object:
    """The pipe's next item; with `gone`, the transport is looked at twice a second while
    none comes, and its close sets `gone` and raises _ClientGone."""
    if gone is None:
        return await pipe.get()
    getter = asyncio.ensure_future(pipe.get())
    while True:
        done, _ = await asyncio.wait({getter}, timeout=0.5)
        if done:
            return getter.result()
        transport = request.transport
        if transport is None or transport.is_closing():
            getter.cancel()
            gone.set()
            raise _ClientGone


class _QueueWriter:
    """A binary file whose writes go to the pipe (for `docker save`'s tar)."""

    def __init__(self, pipe: _Pipe) -> None:
        self.pipe = pipe

    def write(self, data: bytes) -> int:
        if data:
            self.pipe.put(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass


async def stream_bytes(request: web.Request, work: Callable[[BinaryIO], None],
                       content_type: str) -> web.StreamResponse:
    """Run `work(out)` in a thread and stream what it writes to `out`."""
    pipe = _Pipe(asyncio.get_running_loop())
    task = pipe.run(lambda: work(cast(BinaryIO, _QueueWriter(pipe))))
    try:
        first = await pipe.get()
        if isinstance(first, BaseException):
            await task
            raise first
        response = web.StreamResponse(headers={"Content-Type": content_type})
        response.enable_chunked_encoding()
        await response.prepare(request)
        item = first
        while item is not _END and not isinstance(item, BaseException):
            await response.write(cast(bytes, item))
            item = await pipe.get()
    finally:
        pipe.close()
    await task
    if isinstance(item, BaseException):
        log.warning("%s %s: cut the stream: %s", request.method, request.path, item)
        if request.transport is not None:
            request.transport.abort()  # the client sees a cut stream, never a short tar
        return response
    await response.write_eof()
    return response
