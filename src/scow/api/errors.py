"""owns: scow.errors → dockerd's answers: the status of the error's category and a JSON body
`{"message": ...}`. (Minimal version for the container routes' tests; the merge keeps E1's.)"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from scow.errors import ScowError

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ScowError as exc:
        return web.json_response({"message": str(exc)}, status=exc.http_status)
