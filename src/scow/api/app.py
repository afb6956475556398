"""owns: the aiohttp application of the Engine API: the Engine in `app[ENGINE]`, the
version prefix (`/v1.41/...`) stripped so routes are on bare paths, dockerd's headers.
(Minimal version for the container routes' tests; the merge keeps E1's.)"""

from __future__ import annotations

from aiohttp import web

from scow.engine import Engine

ENGINE: web.AppKey[Engine] = web.AppKey("engine", Engine)
API_VERSION = "1.41"


async def _ping(request: web.Request) -> web.Response:
    return web.Response(text="OK", headers={"Api-Version": API_VERSION, "Ostype": "linux"})


async def _version(request: web.Request) -> web.Response:
    return web.json_response({"ApiVersion": API_VERSION, "MinAPIVersion": "1.12",
                              "Version": "20.10.24", "Os": "linux", "Arch": "amd64",
                              "Components": []})


def make_app(engine: Engine) -> web.Application:
    from scow.api import archive, containers, errors, exec, hijack, logs

    app = web.Application(middlewares=[errors.middleware], client_max_size=0)
    app[ENGINE] = engine
    app[hijack.PENDING] = {}
    app[hijack.EXIT_CODES] = {}
    for path in ("/_ping", "/{version:v[0-9.]+}/_ping"):
        app.router.add_route("*", path, _ping)
    for path in ("/version", "/{version:v[0-9.]+}/version"):
        app.router.add_get(path, _version)
    for table in (containers.routes, exec.routes, hijack.routes, logs.routes,
                  archive.routes):
        add_versioned(app, table)
    app.on_response_prepare.append(_prepare)
    return app


def add_versioned(app: web.Application, table: web.RouteTableDef) -> None:
    """Each route on its bare path and under `/v<version>` (dockerd serves both)."""
    for route in table:
        assert isinstance(route, web.RouteDef)
        for prefix in ("", "/{version:v[0-9.]+}"):
            web.RouteDef(route.method, prefix + route.path, route.handler,
                         route.kwargs).register(app.router)


async def _prepare(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update({"Api-Version": API_VERSION, "Ostype": "linux",
                             "Docker-Experimental": "false", "Server": "scow"})
