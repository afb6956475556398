"""owns: scow.errors → dockerd's answers: the status of the error's category and a JSON body
`{"message": ...}`. (Minimal version for the container routes' tests; the merge keeps E1's.)"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from aiohttp import web

from scow.errors import ScowError

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ScowError as exc:
        # exactly application/json (no charset): docker CLI 20.10 compares the header
        body = json.dumps({"message": str(exc)}).encode()
        return web.Response(body=body, status=exc.http_status, content_type="application/json")
