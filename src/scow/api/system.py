"""owns: the system routes: `/_ping` (GET, HEAD), `/version`, `/info`, `/system/df`, `/auth`
and `/events` (the root's event log, `Engine.events`, read in a thread: what scow CLI
processes, monitors and this service did, replayed from `since` and followed until `until` or
until the client goes)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import threading
import time
from collections.abc import AsyncIterator
from typing import Any, cast

from aiohttp import web

from scow import __version__
from scow.api.app import API_VERSION, ENGINE, MIN_API_VERSION, STOPPING
from scow.api.blocking import run_blocking
from scow.api.build_cache import cache_rows
from scow.api.operations import run_operation
from scow.api.params import filters
from scow.api.responses import json_response
from scow.engine.engine import Engine
from scow.errors import InvalidArgument

routes = web.RouteTableDef()
PING_HEADERS = {"Cache-Control": "no-cache, no-store, must-revalidate", "Pragma": "no-cache",
                "Builder-Version": "1"}


@routes.get("/_ping")
async def ping(request: web.Request) -> web.Response:
    body = "" if request.method == "HEAD" else "OK"
    return web.Response(text=body, headers=PING_HEADERS, content_type="text/plain")


def go_arch() -> str:
    machine = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm"}.get(machine, machine)


def version_body() -> dict[str, Any]:
    details = {"ApiVersion": API_VERSION, "Arch": go_arch(), "BuildTime": "",
               "Experimental": "false", "GitCommit": "", "GoVersion": "",
               "KernelVersion": os.uname().release, "MinAPIVersion": MIN_API_VERSION,
               "Os": "linux"}
    return {"Platform": {"Name": "scow"},
            "Components": [{"Name": "Engine", "Version": __version__, "Details": details}],
            "Version": __version__, "ApiVersion": API_VERSION,
            "MinAPIVersion": MIN_API_VERSION, "GitCommit": "", "GoVersion": "",
            "Os": "linux", "Arch": go_arch(), "KernelVersion": os.uname().release,
            "BuildTime": ""}


@routes.get("/version")
async def version(request: web.Request) -> web.Response:
    return json_response(version_body())


def info_body(engine: Engine) -> dict[str, Any]:
    lines = {key: value for key, value, _ in engine.system.info()}
    driver = engine.store.driver
    return {
        "ID": "", "Containers": int(lines["Containers"]),
        "ContainersRunning": int(lines["Running"]), "ContainersPaused": int(lines["Paused"]),
        "ContainersStopped": int(lines["Stopped"]), "Images": int(lines["Images"]),
        "Driver": driver.name, "DriverStatus": [list(kv) for kv in driver.status()],
        "Plugins": {"Volume": ["local"], "Network": ["bridge", "host", "null"],
                    "Authorization": None, "Log": ["json-file"]},
        "MemoryLimit": True, "SwapLimit": True, "OomKillDisable": False,
        "IPv4Forwarding": True, "Debug": False, "LoggingDriver": "json-file",
        "CgroupDriver": "cgroupfs", "CgroupVersion": "2",
        "KernelVersion": lines["Kernel Version"], "OperatingSystem": lines["Operating System"],
        "OSVersion": "", "OSType": "linux", "Architecture": lines["Architecture"],
        "NCPU": int(lines["CPUs"]), "MemTotal": _mem_total(), "IndexServerAddress":
        "https://index.docker.io/v1/", "RegistryConfig": {
            "InsecureRegistryCIDRs": ["127.0.0.0/8"], "IndexConfigs": {}, "Mirrors": []},
        "DockerRootDir": engine.root, "Name": os.uname().nodename, "Labels": [],
        "ExperimentalBuild": False, "ServerVersion": __version__,
        "Runtimes": {engine.settings.runtime: {"path": engine.settings.runtime}},
        "DefaultRuntime": engine.settings.runtime, "Swarm": {"LocalNodeState": "inactive"},
        "LiveRestoreEnabled": False, "Isolation": "", "InitBinary": "docker-init",
        "SecurityOptions": [], "Warnings": None,
    }


def _mem_total() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return 0


@routes.get("/info")
async def info(request: web.Request) -> web.Response:
    return json_response(await run_blocking(info_body, request.app[ENGINE]))


def df_body(engine: Engine) -> dict[str, Any]:
    du = engine.system.disk_usage()
    images = [{"Containers": i.containers, "Created": int(i.created), "Id": i.id,
               "Labels": None, "ParentId": "", "RepoDigests": None,
               "RepoTags": i.repo_tags or None, "SharedSize": i.shared_size,
               "Size": i.size, "VirtualSize": i.size} for i in du.images]
    containers = [{"Id": c.id, "Names": ["/" + c.name], "Image": c.image,
                   "Created": int(c.created), "SizeRw": c.size_rw,
                   "State": "running" if c.running else "exited", "Status": c.status}
                  for c in du.containers]
    volumes = [{"Name": v.name, "Driver": "local", "Labels": {}, "Mountpoint":
                engine.volumes.path(v.name), "Scope": "local", "Options": {},
                "UsageData": {"Size": v.size, "RefCount": v.links}} for v in du.volumes]
    return {"LayersSize": du.layers_size, "Images": images, "Containers": containers,
            "Volumes": volumes, **_build_cache(engine, du.build_cache)}


def _build_cache(engine: Engine, mounts: list[Any]) -> dict[str, Any]:
    rows = cache_rows(engine.builds.cache_usage(), mounts)
    return {"BuildCache": rows, "BuilderSize": sum(r["Size"] for r in rows)}


@routes.get("/system/df")
async def system_df(request: web.Request) -> web.Response:
    return json_response(await run_blocking(df_body, request.app[ENGINE]))


@routes.post("/auth")
async def auth(request: web.Request) -> web.Response:
    body = await request.json() if request.can_read_body else {}
    server = body.get("serveraddress") or None
    username, password = body.get("username", ""), body.get("password", "")
    await run_operation(request, lambda op: op.distribution.login(server, username, password))
    return json_response({"Status": "Login Succeeded", "IdentityToken": ""})


async def event_source(engine: Engine, query: dict[str, list[str]], since: str | None,
                       until: str | None) -> AsyncIterator[dict[str, Any]]:
    """The root's events from `since` (new ones only without it, as dockerd), following new
    ones until `until` passes or the consumer stops iterating."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[object] = asyncio.Queue()
    stop = threading.Event()

    def hand(item: object) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed: the service is stopping
            loop.call_soon_threadsafe(queue.put_nowait, item)

    def work() -> None:
        try:
            for event in engine.events(since=since, until=until, filters=query, follow=True,
                                       stop=stop.is_set):
                hand(event)
            hand(None)
        except Exception as exc:  # noqa: BLE001 - handed to the route, which ends the stream
            hand(exc)

    threading.Thread(target=work, name="scow-api-events", daemon=True).start()
    try:
        while True:
            item = await queue.get()
            if item is None:
                return
            if isinstance(item, Exception):
                raise item
            yield cast(dict[str, Any], item)
    finally:
        stop.set()


@routes.get("/events")
async def events(request: web.Request) -> web.StreamResponse:
    wanted = filters(request.query)
    deadline = _seconds_until(request.query.get("until", ""))
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    follow = asyncio.ensure_future(_follow(request, wanted, response))
    stopping = request.app[STOPPING]
    started = time.monotonic()
    while not follow.done():
        await asyncio.wait([follow], timeout=0.25)
        transport = request.transport
        gone = transport is None or transport.is_closing()
        late = deadline is not None and time.monotonic() - started >= deadline
        if gone or late or stopping.is_set():
            follow.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await follow
    return response


async def _follow(request: web.Request, wanted: dict[str, list[str]],
                  response: web.StreamResponse) -> None:
    query = request.query
    async for event in event_source(request.app[ENGINE], wanted, query.get("since") or None,
                                    query.get("until") or None):
        await response.write(json.dumps(event).encode() + b"\n")


def _seconds_until(until: str) -> float | None:
    if not until:
        return None
    try:
        return max(0.0, float(until) - time.time())
    except ValueError:
        raise InvalidArgument(f"invalid value for until: {until!r}") from None
