"""owns: the network routes over the library's network service: list (filters name, id,
driver, label, type), inspect, create, remove, connect, disconnect, prune. Options of
`POST /networks/create` that scow does not implement are refused with a 400 naming them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from scow.api.app import ENGINE
from scow.api.blocking import run_blocking
from scow.api.operations import run_operation
from scow.api.params import filters
from scow.api.responses import json_response
from scow.engine.engine import Engine
from scow.errors import InvalidArgument

routes = web.RouteTableDef()
PREDEFINED = ("bridge", "host", "none")
# create-body fields that are fine at these values (docker's defaults)
DEFAULTS: dict[str, Any] = {"Ingress": False,
                            "EnableIPv6": False, "Options": {}, "ConfigOnly": False,
                            "Scope": "", "ConfigFrom": None}


def _keep(row: dict[str, Any], wanted: dict[str, list[str]]) -> bool:
    checks: dict[str, Callable[[str], bool]] = {
        "name": lambda v: v in row["Name"], "id": lambda v: row["Id"].startswith(v),
        "driver": lambda v: row.get("Driver") == v,
        "label": lambda v: _label(row.get("Labels") or {}, v),
        "type": lambda v: (row["Name"] in PREDEFINED) == (v == "builtin"),
        "scope": lambda v: v == "local",
    }
    for key, values in wanted.items():
        if key not in checks:
            raise InvalidArgument(f"invalid filter '{key}'")
        if values and not any(checks[key](v) for v in values):
            return False
    return True


def _label(labels: dict[str, str], spec: str) -> bool:
    key, sep, value = spec.partition("=")
    return key in labels and (not sep or labels[key] == value)


def list_body(engine: Engine, wanted: dict[str, list[str]]) -> list[dict[str, Any]]:
    rows = [row for row in engine.networks.list_networks() if _keep(row, wanted)]
    return [engine.networks.inspect(row["Id"] if row["Name"] not in PREDEFINED[1:]
                                    else row["Name"]) for row in rows]


@routes.get("/networks")
async def networks_list(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    return json_response(await run_blocking(list_body, engine, filters(request.query)))


# CheckDuplicate: duplicates are always refused; Attachable (compose 1.29 sends true): every
# local network takes containers, the flag only means something to swarm's overlays
USED = ("Driver", "Internal", "Labels", "IPAM", "CheckDuplicate", "Attachable")


def create_args(body: dict[str, Any]) -> dict[str, Any]:
    for key in body:
        if key not in USED and key not in DEFAULTS:
            raise InvalidArgument(f"create network: {key} is not supported by scow")
    for key, default in DEFAULTS.items():
        if key in body and body[key] not in (default, None, {}):
            raise InvalidArgument(f"create network: {key} is not supported by scow")
    ipam = body.get("IPAM") or {}
    configs = ipam.get("Config") or []
    if len(configs) > 1 or (ipam.get("Driver") or "default") != "default" or \
            ipam.get("Options"):
        raise InvalidArgument("create network: IPAM: one subnet of the default driver only")
    config = configs[0] if configs else {}
    for key in config:
        if key not in ("Subnet", "Gateway"):
            raise InvalidArgument(f"create network: IPAM.Config.{key} is not supported")
    return {"subnet": config.get("Subnet", ""), "gateway": config.get("Gateway", ""),
            "internal": bool(body.get("Internal")), "labels": body.get("Labels") or {},
            "driver": body.get("Driver") or "bridge"}


@routes.post("/networks/create")
async def networks_create(request: web.Request) -> web.Response:
    body = await request.json()
    if not isinstance(body, dict) or not body.get("Name"):
        raise InvalidArgument("create network: Name is required")
    args = create_args({k: v for k, v in body.items() if k != "Name"})
    name = body["Name"]
    network_id = await run_operation(request, lambda op: op.networks.create(name, **args))
    return json_response({"Id": network_id, "Warning": ""}, status=201)


@routes.post("/networks/prune")
async def networks_prune(request: web.Request) -> web.Response:
    if filters(request.query):
        raise InvalidArgument("prune networks: filters are not supported")
    removed = await run_operation(request, lambda op: op.networks.prune())
    return json_response({"NetworksDeleted": removed or None})


@routes.get("/networks/{name}")
async def networks_inspect(request: web.Request) -> web.Response:
    body = await run_blocking(request.app[ENGINE].networks.inspect, request.match_info["name"])
    return json_response(body)


@routes.delete("/networks/{name}")
async def networks_remove(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    await run_operation(request, lambda op: op.networks.remove(name))
    return web.Response(status=204)


@routes.post("/networks/{name}/connect")
async def networks_connect(request: web.Request) -> web.Response:
    body = await request.json()
    config = body.get("EndpointConfig") or {}
    ip = (config.get("IPAMConfig") or {}).get("IPv4Address", "")
    name, container = request.match_info["name"], body.get("Container", "")
    aliases = config.get("Aliases") or []
    await run_operation(request, lambda op: op.networks.connect(name, container,
                                                                aliases=aliases, ip=ip))
    return web.Response(status=200)


@routes.post("/networks/{name}/disconnect")
async def networks_disconnect(request: web.Request) -> web.Response:
    body = await request.json()
    name, container, force = request.match_info["name"], body.get("Container", ""), \
        bool(body.get("Force"))
    await run_operation(request, lambda op: op.networks.disconnect(name, container,
                                                                   force=force))
    return web.Response(status=200)
