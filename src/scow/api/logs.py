"""owns: GET /containers/{id}/logs: the library's log entries as dockerd sends them (one
chunk per entry; multiplexed 8-byte frames unless the container has a tty; `follow` keeps
the stream open while the container runs)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from aiohttp import web

from scow.api.app import ENGINE
from scow.api.blocking import run_blocking
from scow.api.hijack import frame
from scow.api.params import qbool, qint
from scow.engine.containers.streams import STDERR, STDOUT
from scow.errors import InvalidArgument

routes = web.RouteTableDef()
_END = object()


@routes.get("/containers/{id}/logs")
async def logs(request: web.Request) -> web.StreamResponse:
    q = request.query
    engine = request.app[ENGINE]
    info = await run_blocking(engine.containers.inspect, request.match_info["id"])
    tty = bool(info["Config"].get("Tty"))
    wanted = {k for k, on in (("stdout", qbool(q, "stdout")), ("stderr", qbool(q, "stderr")))
              if on}
    tail = q.get("tail", "all")
    entries = await run_blocking(
        engine.containers.logs, info["Id"], follow=qbool(q, "follow"),
        tail=None if tail in ("all", "") else qint(q, "tail"),
        since=_time(q.get("since")), until=_time(q.get("until")))
    response = web.StreamResponse()
    response.enable_chunked_encoding()
    await response.prepare(request)
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=64)
    stop = threading.Event()

    def produce() -> None:
        try:
            for e in entries:
                if stop.is_set():
                    return
                if e.stream in wanted:
                    asyncio.run_coroutine_threadsafe(queue.put(e), loop).result()
        finally:
            asyncio.run_coroutine_threadsafe(queue.put(_END), loop)

    threading.Thread(target=produce, daemon=True, name="scow-api-logs").start()
    stamps = qbool(q, "timestamps")
    try:
        while (e := await queue.get()) is not _END:
            data = (e.time.encode() + b" " + e.data) if stamps else e.data
            kind = STDERR if e.stream == "stderr" else STDOUT
            await response.write(data if tty else frame(kind, data))
    finally:
        stop.set()
    await response.write_eof()
    return response


def _time(value: str | None) -> str | None:
    """since/until: unix seconds with an optional fraction, as the CLI and docker-py send
    them ("0": none), as the RFC3339Nano UTC time the library compares."""
    import datetime
    import re

    if not value or value == "0":
        return None
    m = re.fullmatch(r"(\d{1,12})(?:\.(\d{1,9}))?", value)
    if m is None:
        raise InvalidArgument(f"invalid time {value!r}: want unix seconds")
    day = datetime.datetime.fromtimestamp(int(m[1]), datetime.UTC)
    return day.strftime("%Y-%m-%dT%H:%M:%S.") + (m[2] or "").ljust(9, "0") + "Z"
