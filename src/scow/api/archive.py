"""owns: /containers/{id}/archive (docker cp): GET a tar of a path, PUT a tar into a folder,
HEAD its stat; the stat as base64 JSON in `X-Docker-Container-Path-Stat`."""

from __future__ import annotations

import asyncio
import base64
import json
import stat
from typing import Any, BinaryIO, cast

from aiohttp import web

from scow.api.app import ENGINE
from scow.api.blocking import run_blocking
from scow.api.hijack import in_thread
from scow.api.operations import in_operation
from scow.errors import InvalidArgument

routes = web.RouteTableDef()


def _path(request: web.Request) -> str:
    path = request.query.get("path", "")
    if not path:
        raise InvalidArgument("archive: path is required")
    return path


# unix file type and mode bits → Go's os.FileMode bits, which docker's header carries
_GO_TYPE = {stat.S_IFDIR: 1 << 31, stat.S_IFLNK: 1 << 27, stat.S_IFIFO: 1 << 25,
            stat.S_IFSOCK: 1 << 24, stat.S_IFBLK: 1 << 26, stat.S_IFCHR: (1 << 26) | (1 << 21)}
_GO_BITS = ((stat.S_ISUID, 1 << 23), (stat.S_ISGID, 1 << 22), (stat.S_ISVTX, 1 << 20))


def go_mode(mode: int) -> int:
    """A unix st_mode as Go's os.FileMode (the CLI tests `mode & ModeDir`)."""
    out = (mode & 0o777) | _GO_TYPE.get(stat.S_IFMT(mode), 0)
    return out | sum(go for bit, go in _GO_BITS if mode & bit)


def _stat_header(attrs: dict[str, Any]) -> dict[str, str]:
    attrs = {**attrs, "mode": go_mode(int(attrs["mode"]))}
    value = base64.b64encode(json.dumps(attrs).encode()).decode()
    return {"X-Docker-Container-Path-Stat": value}


@routes.get("/containers/{id}/archive", allow_head=False)
async def get_archive(request: web.Request) -> web.StreamResponse:
    engine = request.app[ENGINE]
    chunks, st = await run_blocking(engine.containers.get_archive, request.match_info["id"],
                                    _path(request))
    response = web.StreamResponse(headers={"Content-Type": "application/x-tar",
                                           **_stat_header(st.attrs)})
    response.enable_chunked_encoding()
    await response.prepare(request)
    it = iter(chunks)
    try:
        while (chunk := await run_blocking(next, it, b"")):
            await response.write(chunk)
        await response.write_eof()
    except ConnectionResetError:  # the CLI's cp hangs up once it has read the tar's end
        pass
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            await run_blocking(close)
    return response


@routes.head("/containers/{id}/archive")
async def stat_archive(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    chunks, st = await run_blocking(engine.containers.get_archive, request.match_info["id"],
                                    _path(request))
    close = getattr(chunks, "close", None)
    if close is not None:
        close()
    return web.Response(status=200, headers=_stat_header(st.attrs))


@routes.put("/containers/{id}/archive")
async def put_archive(request: web.Request) -> web.Response:
    body = _BodyReader(request, asyncio.get_running_loop())
    name, path = request.match_info["id"], _path(request)
    await in_thread(in_operation(request, lambda op: op.containers.put_archive(
        name, path, cast(BinaryIO, body))))  # own thread: it waits on the loop for the body
    return web.Response(status=200)


class _BodyReader:
    """The request body as a blocking binary file for a worker thread (a tar of any size
    streams through, never held whole in memory)."""

    def __init__(self, request: web.Request, loop: asyncio.AbstractEventLoop) -> None:
        self.content, self.loop = request.content, loop

    def read(self, size: int = -1) -> bytes:
        coro = self.content.read(size if size is not None and size >= 0 else -1)
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def readable(self) -> bool:
        return True
