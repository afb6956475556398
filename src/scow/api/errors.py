"""owns: THE mapping of exceptions to the Engine API's error answers: a scow.errors category
gives the status (404 no such object, 409 conflict, 400 bad parameter, 500 otherwise; errors.py
holds the numbers) and the body is dockerd's `{"message": ...}`; foreign exceptions are 500s
with their one-line text (the service logs their traceback with --debug)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from scow.api.responses import json_response
from scow.errors import ScowError

log = logging.getLogger("scow.api")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error_response(status: int, message: str) -> web.Response:
    return json_response({"message": message}, status)


def status_of(exc: BaseException) -> int:
    if isinstance(exc, ScowError):
        return exc.http_status
    return 500


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        text = exc.text if exc.text and exc.status != 404 else _http_text(request, exc)
        return error_response(exc.status, text)
    except ScowError as exc:
        return error_response(exc.http_status, str(exc))
    except (ConnectionResetError, BrokenPipeError):
        raise
    except Exception as exc:  # noqa: BLE001 - the last resort: a 500, never a traceback
        log.debug("%s %s failed", request.method, request.path, exc_info=True)
        return error_response(500, f"{type(exc).__name__}: {exc}")


def _http_text(request: web.Request, exc: web.HTTPException) -> str:
    if exc.status == 404:
        return "page not found"
    if exc.status == 405:
        return f"method {request.method} not allowed"
    return exc.reason
