"""owns: the Engine API's container routes on bare paths (create, list, inspect, start,
stop, restart, kill, wait, remove, pause, unpause, resize, changes, export, prune, commit,
and the verbs other parts of scow may provide: `OPTIONAL`), each a call of the library's
container service (`engine.containers`); logs and archives are in logs.py and archive.py,
attach in hijack.py, exec in exec.py. Writes run in an operation of their own
(operations.py: the request's own Engine and owner token); reads, waits and resizes use the
app's Engine (the container's monitor, not the Engine, holds what lives on)."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from scow.api.app import ENGINE, STOPPING
from scow.api.blocking import on_loop, run_blocking, stream_bytes
from scow.api.container_admin import ps_args, stats_response, top_answer, update_args
from scow.api.create_body import create_options
from scow.api.hijack import EXIT_CODES, PENDING, Stopping, in_thread, start_attached
from scow.api.operations import in_operation, run_operation
from scow.api.params import filters, qbool, qint
from scow.api.summaries import row as summary_row
from scow.engine import Engine
from scow.errors import ImageNotFound, InternalError, InvalidArgument, NotFound, Unsupported

routes = web.RouteTableDef()


def _engine(request: web.Request) -> Engine:
    return request.app[ENGINE]


def _name(request: web.Request) -> str:
    return request.match_info["id"]


async def _now(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """on_loop with run_blocking's shape (a quick read, on the loop)."""
    return on_loop(fn, *args, **kwargs)


async def _json_body(request: web.Request) -> Any:
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidArgument(f"invalid JSON body: {exc.msg}") from None


@routes.post("/containers/create")
async def create(request: web.Request) -> web.Response:
    opts = create_options(await _json_body(request), request.query.get("name"))
    try:
        on_loop(_engine(request).images.resolve, opts.image)
    except NotFound:
        raise ImageNotFound(f"No such image: {opts.image}") from None
    container = await run_operation(request, lambda op: op.containers.create(opts))
    return web.json_response({"Id": container.id, "Warnings": []}, status=201)


@routes.get("/containers/json")
async def list_containers(request: web.Request) -> web.Response:
    q = request.query
    limit = qint(q, "limit", -1)
    size = qbool(q, "size")   # a walk of each container's files: on a worker thread
    rows = await (run_blocking if size else _now)(
        _engine(request).containers.list_containers, all=qbool(q, "all"), size=size,
        filters=filters(q) or None, last=limit if limit is not None and limit > 0 else -1)
    root = _engine(request).root
    return web.json_response([summary_row(row, root) for row in rows])


@routes.get("/containers/{id}/json")
async def inspect(request: web.Request) -> web.Response:
    size = qbool(request.query, "size")
    doc = await (run_blocking if size else _now)(_engine(request).containers.inspect,
                                                 _name(request), size=size)
    return web.json_response(doc)


@routes.post("/containers/{id}/start")
async def start(request: web.Request) -> web.Response:
    engine = _engine(request)
    cid = (await run_blocking(engine.containers.inspect, _name(request)))["Id"]
    if request.app[PENDING].get(cid):
        started = await start_attached(request, cid)
    else:
        started = await run_operation(request, lambda op: op.containers.start(cid)) is not None
    return web.Response(status=204 if started else 304)


@routes.post("/containers/{id}/stop")
async def stop(request: web.Request) -> web.Response:
    engine = _engine(request)
    info = await run_blocking(engine.containers.inspect, _name(request))
    if not info["State"].get("Running"):
        return web.Response(status=304)
    await in_thread(in_operation(request, lambda op: op.containers.stop(
        info["Id"], timeout=qint(request.query, "t"),
        signal=request.query.get("signal") or None)))
    return web.Response(status=204)


@routes.post("/containers/{id}/restart")
async def restart(request: web.Request) -> web.Response:
    await in_thread(in_operation(request, lambda op: op.containers.restart(
        _name(request), timeout=qint(request.query, "t"),
        signal=request.query.get("signal") or None)))
    return web.Response(status=204)


@routes.post("/containers/{id}/kill")
async def kill(request: web.Request) -> web.Response:
    sig = request.query.get("signal") or "KILL"
    await run_operation(request, lambda op: op.containers.kill(_name(request), sig))
    if sig.upper().removeprefix("SIG") in ("KILL", "9"):
        await in_thread(_until_stopped, _engine(request), _name(request))
    return web.Response(status=204)


def _until_stopped(engine: Engine, name: str) -> None:
    """(worker thread) dockerd's kill with SIGKILL answers once the container has exited
    (up to 10 s): its State then says so."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if not engine.containers.inspect(name)["State"].get("Running"):
                return
        except NotFound:
            return
        time.sleep(0.05)


@routes.post("/containers/{id}/pause")
async def pause(request: web.Request) -> web.Response:
    await run_operation(request, lambda op: op.containers.pause(_name(request)))
    return web.Response(status=204)


@routes.post("/containers/{id}/unpause")
async def unpause(request: web.Request) -> web.Response:
    await run_operation(request, lambda op: op.containers.unpause(_name(request)))
    return web.Response(status=204)


@routes.delete("/containers/{id}")
async def remove(request: web.Request) -> web.Response:
    q = request.query
    if qbool(q, "link"):
        raise InvalidArgument("remove container: links (link=1) are not supported by scow")
    await in_thread(in_operation(request, lambda op: op.containers.remove(
        _name(request), force=qbool(q, "force"), volumes=qbool(q, "v"))))
    return web.Response(status=204)


@routes.post("/containers/{id}/wait")
async def wait(request: web.Request) -> web.StreamResponse:
    """Headers at once (the CLI sends `start` only after them), the result at the exit."""
    condition = request.query.get("condition") or "not-running"
    if condition not in ("not-running", "next-exit", "removed"):
        raise InvalidArgument(f"invalid condition: {condition!r}")
    engine = _engine(request)
    info = await run_blocking(engine.containers.inspect, _name(request))
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    try:
        code = await in_thread(_wait, engine, info, condition, request.app[EXIT_CODES],
                               stopping=request.app[STOPPING])
    except Stopping:
        return response  # the service stops: the stream ends without a result (dockerd's)
    with contextlib.suppress(ConnectionError):  # the CLI's `run -d` drops the connection
        await response.write(json.dumps({"Error": None, "StatusCode": code}).encode() + b"\n")
        await response.write_eof()
    return response


def _wait(engine: Engine, info: dict[str, Any], condition: str, exits: dict[str, int]) -> int:
    """(worker thread) the exit code once `condition` holds."""
    state, cid = info["State"], info["Id"]
    if not state.get("Running"):
        if condition == "not-running":
            return int(state.get("ExitCode") or 0)  # created or exited: not running already
        if not _next_start(engine, cid, state.get("StartedAt", "")):
            return _removed_code(cid, exits, state)
    try:
        code = engine.containers.wait(cid)
    except (NotFound, InternalError):  # --rm removed it (and its state) before we looked
        return _removed_code(cid, exits, state)
    if condition == "removed":
        for _ in range(600):
            if not engine.containers.exists(cid):
                break
            time.sleep(0.05)
    return code


def _removed_code(cid: str, exits: dict[str, int], state: dict[str, Any]) -> int:
    """The exit code of a container removed at its exit: its attach saw it (the EXIT frame
    comes before the removal; the attach's pump may still be finishing)."""
    for _ in range(40):
        if cid in exits:
            return exits.pop(cid)
        time.sleep(0.05)
    return int(state.get("ExitCode") or 0)


def _next_start(engine: Engine, cid: str, started_at: str) -> bool:
    """(worker thread) Wait until the stopped container runs again (next-exit, removed:
    the CLI waits before it starts); False when it was removed first."""
    while True:
        try:
            state = engine.containers.inspect(cid)["State"]
        except NotFound:
            return False
        if state.get("Running") or state.get("StartedAt", "") != started_at:
            return True
        time.sleep(0.1)


@routes.post("/containers/{id}/resize")
async def resize(request: web.Request) -> web.Response:
    h, w = qint(request.query, "h", 0) or 0, qint(request.query, "w", 0) or 0
    engine = _engine(request)

    def send() -> None:
        with engine.containers.attach(_name(request)) as conn:
            conn.resize(h, w)

    await run_blocking(send)
    return web.Response(status=200)


@routes.get("/containers/{id}/changes")
async def changes(request: web.Request) -> web.Response:
    return web.json_response(await run_blocking(_engine(request).containers.diff,
                                                _name(request)) or None)


@routes.get("/containers/{id}/export")
async def export(request: web.Request) -> web.StreamResponse:
    engine, name = _engine(request), _name(request)
    await run_blocking(engine.containers.inspect, name)  # a missing one: 404 before the stream
    return await stream_bytes(request, lambda out: engine.containers.export(name, out),
                              "application/x-tar")


@routes.post("/containers/prune")
async def prune(request: web.Request) -> web.Response:
    if filters(request.query):
        raise InvalidArgument("container prune: filters are not supported by scow")
    removed, reclaimed = await in_thread(in_operation(request, lambda op: op.containers.prune()))
    return web.json_response({"ContainersDeleted": removed or None,
                              "SpaceReclaimed": reclaimed})


@routes.post("/commit")
async def commit(request: web.Request) -> web.Response:
    q = request.query
    body = await _json_body(request)
    changes = q.getall("changes", [])
    if body:
        raise InvalidArgument("commit: a container config in the body is not supported by "
                              "scow (use changes=)")
    repo, tag = q.get("repo", ""), q.get("tag", "")
    ref = (f"{repo}:{tag}" if tag else repo) if repo else None
    name = q.get("container", "")
    running = (await run_blocking(_engine(request).containers.inspect, name))["State"] \
        .get("Running")  # dockerd pauses only a running container
    image_id = await run_operation(request, lambda op: op.containers.commit(
        name, ref, message=q.get("comment", ""), author=q.get("author", ""),
        changes=[c for c in changes if c], pause=bool(running) and qbool(q, "pause", True)))
    return web.json_response({"Id": str(image_id)}, status=201)


# verbs other helpers add to the container service: route → (method, how to call it)
OPTIONAL: dict[str, tuple[str, Callable[..., Any]]] = {
    "rename": ("rename", lambda m, name, q, body: m(name, q.get("name", ""))),
    "top": ("top", lambda m, name, q, body: top_answer(m(name, ps_args(q)))),
    "update": ("update", lambda m, name, q, body: m(name, *update_args(body))),
}


async def _optional(request: web.Request, verb: str) -> Any:
    """`verb`'s method of the container service: in an operation when it writes (POST)."""
    method_name, call = OPTIONAL[verb]
    if not hasattr(_engine(request).containers, method_name):
        raise Unsupported(f"{verb} container: not implemented by scow yet")
    name, query = _name(request), request.query
    if request.method != "POST":
        return await run_blocking(call, getattr(_engine(request).containers, method_name),
                                  name, query, {})
    body = await _json_body(request)
    return await run_operation(request, lambda op: call(
        getattr(op.containers, method_name), name, query, body))


@routes.post("/containers/{id}/rename")
async def rename(request: web.Request) -> web.Response:
    await _optional(request, "rename")
    return web.Response(status=204)


@routes.get("/containers/{id}/top")
async def top(request: web.Request) -> web.Response:
    return web.json_response(await _optional(request, "top"))


@routes.get("/containers/{id}/stats")
async def stats(request: web.Request) -> web.StreamResponse:
    if not hasattr(_engine(request).containers, "stats"):
        raise Unsupported("stats container: not implemented by scow yet")
    return await stats_response(request, _engine(request), _name(request),
                                qbool(request.query, "stream", True),
                                qbool(request.query, "one-shot", False))


@routes.post("/containers/{id}/update")
async def update(request: web.Request) -> web.Response:
    result = await _optional(request, "update")
    return web.json_response({"Warnings": result if isinstance(result, list) else []})



