"""owns: the volume routes: list (filters name, label, dangling, driver), create, inspect,
remove (force), prune."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from scow.api.app import ENGINE, requested_version, version_tuple
from scow.api.blocking import run_blocking
from scow.api.operations import run_operation
from scow.api.params import filters, qbool
from scow.api.responses import json_response
from scow.engine.engine import Engine
from scow.errors import InvalidArgument, Unsupported

routes = web.RouteTableDef()
FILTERS = ("name", "label", "dangling", "driver")


def _keep(volume: Any, wanted: dict[str, list[str]], users: dict[str, list[str]]) -> bool:
    names = wanted.get("name", [])
    if names and not any(n in volume.name for n in names):
        return False
    for label in wanted.get("label", []):
        key, sep, value = label.partition("=")
        if key not in volume.labels or (sep and volume.labels[key] != value):
            return False
    for value in wanted.get("dangling", []):
        if value.lower() not in ("true", "false", "1", "0"):
            raise InvalidArgument(f"invalid filter 'dangling={value}'")
        if (value.lower() in ("true", "1")) == (volume.name in users):
            return False
    return all(d == "local" for d in wanted.get("driver", []))


def list_body(engine: Engine, wanted: dict[str, list[str]]) -> dict[str, Any]:
    for key in wanted:
        if key not in FILTERS:
            raise InvalidArgument(f"invalid filter '{key}'")
    users = engine.volumes.users() if "dangling" in wanted else {}
    vols = [v.attrs for v in engine.volumes.all() if _keep(v, wanted, users)]
    return {"Volumes": vols, "Warnings": None}


@routes.get("/volumes")
async def volumes_list(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    return json_response(await run_blocking(list_body, engine, filters(request.query)))


@routes.post("/volumes/create")
async def volumes_create(request: web.Request) -> web.Response:
    body = await request.json() if request.can_read_body else {}
    if not isinstance(body, dict):
        raise InvalidArgument("create volume: the body is not a JSON object")
    driver = body.get("Driver") or "local"
    if driver != "local":
        raise Unsupported(f"create volume: driver {driver!r} is not supported (only local)")
    if body.get("DriverOpts"):
        raise InvalidArgument("create volume: DriverOpts is not supported by scow")
    name, labels = body.get("Name") or None, body.get("Labels") or {}
    volume = await run_operation(request, lambda op: op.volumes.create(name, labels=labels))
    return json_response(volume.attrs, status=201)


@routes.post("/volumes/prune")
async def volumes_prune(request: web.Request) -> web.Response:
    wanted = filters(request.query)
    all_volumes = any(v.lower() in ("true", "1") for v in wanted.pop("all", []))
    version = requested_version(request)
    if version is not None and version_tuple(version) < (1, 42):
        all_volumes = True  # before API 1.42 a prune removed every unused volume
    if wanted:
        raise InvalidArgument(f"prune volumes: filter {next(iter(wanted))!r} is not supported")
    removed, reclaimed = await run_operation(request,
                                             lambda op: op.volumes.prune(all=all_volumes))
    return json_response({"VolumesDeleted": removed or None,
                              "SpaceReclaimed": reclaimed})


@routes.get("/volumes/{name}")
async def volumes_inspect(request: web.Request) -> web.Response:
    body = await run_blocking(request.app[ENGINE].volumes.inspect, request.match_info["name"])
    return json_response(body)


@routes.delete("/volumes/{name}")
async def volumes_remove(request: web.Request) -> web.Response:
    name, force = request.match_info["name"], qbool(request.query, "force")
    await run_operation(request, lambda op: op.volumes.remove(name, force=force))
    return web.Response(status=204)
