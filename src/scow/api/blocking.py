"""owns: running engine work off the event loop (`run_blocking` on the thread pool; the
Engine is thread-safe) and a binary stream whose bytes a worker thread writes
(`stream_bytes`). (Minimal version for the container routes' tests; the merge keeps E1's.)"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any, BinaryIO, TypeVar, cast

from aiohttp import web

T = TypeVar("T")
_END = object()


async def run_blocking(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)` on the loop's thread pool."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, functools.partial(fn, *args, **kwargs))


class _QueueWriter:
    def __init__(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[object]) -> None:
        self.loop, self.queue = loop, queue

    def write(self, data: bytes) -> int:
        if data:
            asyncio.run_coroutine_threadsafe(self.queue.put(bytes(data)), self.loop).result()
        return len(data)

    def flush(self) -> None:
        pass


async def stream_bytes(request: web.Request, work: Callable[[BinaryIO], None],
                       content_type: str) -> web.StreamResponse:
    """Run `work(out)` in a thread and stream what it writes to `out` (an error before the
    first byte is a plain HTTP error; one after it cuts the stream)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[object] = asyncio.Queue(maxsize=8)

    def produce() -> None:
        try:
            work(cast(BinaryIO, _QueueWriter(loop, queue)))
            item: object = _END
        except BaseException as exc:  # noqa: BLE001 - handed to the loop
            item = exc
        asyncio.run_coroutine_threadsafe(queue.put(item), loop).result()

    task = loop.run_in_executor(None, produce)
    item = await queue.get()
    if isinstance(item, BaseException):
        await task
        raise item
    response = web.StreamResponse(headers={"Content-Type": content_type})
    response.enable_chunked_encoding()
    await response.prepare(request)
    while item is not _END and not isinstance(item, BaseException):
        await response.write(cast(bytes, item))
        item = await queue.get()
    await task
    if not isinstance(item, BaseException):
        await response.write_eof()
    return response
