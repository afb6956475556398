"""owns: the Engine API application: `make_app(engine)`, the version prefix (every route is
served bare and as `/v{version}/...`; versions below MIN_API_VERSION are refused as dockerd
does), the headers every answer carries, and the list of route modules."""

from __future__ import annotations

import asyncio
import importlib
import platform
from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import TYPE_CHECKING

from aiohttp import web

from scow import __version__
from scow.api.errors import error_middleware, error_response

if TYPE_CHECKING:
    from scow.engine.engine import Engine

API_VERSION = "1.41"  # docker 20.10's, the one engine-api-trace.md documents
MIN_API_VERSION = "1.12"
ENGINE: web.AppKey[Engine] = web.AppKey("engine")
# set when the service stops: endless streams (events) end so that shutdown is not held up
STOPPING: web.AppKey[asyncio.Event] = web.AppKey("stopping", asyncio.Event)
# the route modules, each with `routes = web.RouteTableDef()`; the order matters where paths
# overlap (`/images/json` before `/images/{name}/json`).
ROUTE_MODULES = ("system", "images", "build", "volumes", "networks", "containers", "exec",
                 "hijack", "logs", "archive")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def version_tuple(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in text.split("."))
    except ValueError:
        return (0,)


def server_header() -> str:
    return f"scow/{__version__} ({platform.system().lower()})"


# the prefixes every route is registered under: bare, this version's literal prefix (aiohttp
# indexes a literal path by its parts, so the docker CLI's `/v1.41/...` is looked up like a
# bare path instead of matched against every versioned pattern in turn) and any version
PREFIXES = ("", f"/v{API_VERSION}", "/v{api_version:[0-9]+(?:\\.[0-9]+)*}")


def requested_version(request: web.Request) -> str | None:
    """The API version in the request's path (None when the path is bare)."""
    version = request.match_info.get("api_version")
    if version is None and request.path.startswith(f"/v{API_VERSION}/"):
        return API_VERSION
    return version


@web.middleware
async def version_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    version = request.match_info.get("api_version")
    if version is not None:
        if version_tuple(version) < version_tuple(MIN_API_VERSION):
            return error_response(400, f"client version {version} is too old. Minimum "
                                  f"supported API version is {MIN_API_VERSION}, please upgrade "
                                  "your client to a newer version")
    return await handler(request)


async def _headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers["Api-Version"] = API_VERSION
    response.headers["Docker-Experimental"] = "false"
    response.headers["Ostype"] = "linux"
    response.headers["Server"] = server_header()


async def _stopping(app: web.Application) -> None:
    app[STOPPING].set()


def route_modules() -> list[ModuleType]:
    """The route modules; each has `routes` (a RouteTableDef) and may have `init_app(app)`
    for the state it keeps on the application."""
    return [importlib.import_module(f"scow.api.{name}") for name in ROUTE_MODULES]


def make_app(engine: Engine) -> web.Application:
    """The Engine API over `engine`: each route bare and under `/v{version}` (PREFIXES)."""
    app = web.Application(middlewares=[error_middleware, version_middleware],
                          client_max_size=0)
    app[ENGINE] = engine
    app[STOPPING] = asyncio.Event()
    app.on_shutdown.append(_stopping)
    app.on_response_prepare.append(_headers)
    for module in route_modules():
        if hasattr(module, "init_app"):
            module.init_app(app)
        for route in module.routes:
            assert isinstance(route, web.RouteDef)
            for prefix in PREFIXES:
                web.RouteDef(route.method, prefix + route.path, route.handler,
                             route.kwargs).register(app.router)
    return app
