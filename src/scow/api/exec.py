"""owns: the Engine API's exec routes: POST /containers/{id}/exec (create), POST
/exec/{id}/start (hijacked, or `Detach`), POST /exec/{id}/resize, GET /exec/{id}/json, on the
library's exec instances (engine/containers/execs.py). The process's stdio are pipes: its
output goes to the client as multiplexed frames (raw when the start body says `Tty`), the
client's bytes to its stdin, whose end is the client's half-close."""

from __future__ import annotations

import contextlib
import json
import os
import select
from collections.abc import Callable
from typing import Any

from aiohttp import web

from scow.api.app import ENGINE
from scow.api.blocking import on_loop, run_blocking
from scow.api.hijack import DetachScanner, Hijacked, detach_keys, frame, hijack, in_thread
from scow.engine import Engine
from scow.errors import InternalError, InvalidArgument

routes = web.RouteTableDef()
# exec ID → its detach key bytes (the create body's DetachKeys), for its start
DETACH_KEYS: web.AppKey[dict[str, bytes]] = web.AppKey("exec_detach_keys", dict)


def init_app(app: web.Application) -> None:
    app[DETACH_KEYS] = {}


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    try:
        body = json.loads(raw) if raw.strip() else {}
    except json.JSONDecodeError as exc:
        raise InvalidArgument(f"invalid JSON body: {exc.msg}") from None
    if not isinstance(body, dict):
        raise InvalidArgument("invalid JSON body: not an object")
    return body


@routes.post("/containers/{id}/exec")
async def create(request: web.Request) -> web.Response:
    body = await _body(request)
    cmd = body.get("Cmd") or []
    keys = detach_keys(body.get("DetachKeys", body.get("detachKeys")))  # docker-py: lower
    engine = request.app[ENGINE]
    exec_id = await run_blocking(lambda: engine.containers.exec_create(
        request.match_info["id"], [cmd] if isinstance(cmd, str) else list(cmd),
        env=list(body.get("Env") or []), user=body.get("User") or "",
        workdir=body.get("WorkingDir") or "", tty=bool(body.get("Tty")),
        privileged=bool(body.get("Privileged")), attach_stdin=bool(body.get("AttachStdin")),
        attach_stdout=bool(body.get("AttachStdout", True)),
        attach_stderr=bool(body.get("AttachStderr", True))))
    request.app[DETACH_KEYS][exec_id] = keys
    return web.json_response({"Id": exec_id}, status=201)


@routes.get("/exec/{id}/json")
async def inspect(request: web.Request) -> web.Response:
    rec = on_loop(request.app[ENGINE].containers.exec_inspect, request.match_info["id"])
    return web.json_response(rec.inspect())


@routes.post("/exec/{id}/resize")
async def resize(request: web.Request) -> web.Response:
    rec = await run_blocking(request.app[ENGINE].containers.exec_inspect,
                             request.match_info["id"])
    if not rec.running:
        raise InternalError("cannot resize a stopped container: unknown")  # as dockerd
    return web.Response(status=200)  # scow's exec pty keeps its size


@routes.post("/exec/{id}/start")
async def start(request: web.Request) -> web.StreamResponse:
    body = await _body(request)
    engine = request.app[ENGINE]
    exec_id = request.match_info["id"]
    rec = on_loop(engine.containers.exec_inspect, exec_id)
    if body.get("Detach"):
        await run_blocking(lambda: engine.containers.exec_start(exec_id, detach=True))
        return web.Response(status=200)
    stdin_r, stdin_w = os.pipe()
    writer = _StdinWriter(stdin_w if rec.attach[0] else -1,
                          request.app[DETACH_KEYS].pop(exec_id, detach_keys(None)))
    if not rec.attach[0]:
        os.close(stdin_w)
    try:
        response, out = await hijack(request, writer.write, writer.close)
        writer.on_detach = out.detach
        if writer.detached:  # the keys came with the request
            out.detach()
    except BaseException:
        writer.close()
        os.close(stdin_r)
        raise
    try:
        await in_thread(_run, engine, exec_id, rec.tty, bool(body.get("Tty")), stdin_r,
                        rec.attach, out)
    finally:
        writer.close()
        out.close()
    return response


class _StdinWriter:
    """The client's bytes into the exec's stdin pipe; its half-close closes the pipe; the
    detach keys end the client's connection (the process runs on, its stdin open)."""

    def __init__(self, fd: int, keys: bytes) -> None:
        self.fd = fd
        self.scanner = DetachScanner(keys)
        self.detached = False
        self.on_detach: Callable[[], None] = lambda: None

    def write(self, data: bytes) -> None:
        if self.fd >= 0 and not self.detached:
            kept = self.scanner.feed(data)
            if kept is None:
                self.detached = True
                self.on_detach()
                return
            data = kept
            with contextlib.suppress(OSError):  # the process closed its stdin
                os.write(self.fd, data)

    def close(self) -> None:
        if self.fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = -1


def _run(engine: Engine, exec_id: str, tty: bool, raw: bool, stdin: int,
         attach: tuple[bool, bool, bool], out: Hijacked) -> None:
    """(worker thread) Run the exec with pipes for stdio and copy its output to the client
    until both pipes end."""
    import threading

    out_r, out_w = os.pipe()
    err_r, err_w = (os.pipe() if not tty else (-1, -1))
    result: list[BaseException] = []

    def run() -> None:
        try:
            engine.containers.exec_start(exec_id, stdin=stdin, stdout=out_w,
                                         stderr=err_w if not tty else out_w)
        except BaseException as exc:  # noqa: BLE001 - told to the client below
            result.append(exc)
        finally:
            for fd in (stdin, out_w, err_w):
                if fd >= 0:
                    os.close(fd)

    worker = threading.Thread(target=run, daemon=True, name="scow-api-exec")
    worker.start()
    wanted = {1: attach[1], 2: attach[2]}
    _copy({out_r: 1, **({err_r: 2} if err_r >= 0 else {})}, wanted, raw, out)
    worker.join()
    for exc in result:
        out.send_threadsafe(frame(2, f"{exc}\n".encode()) if not raw else f"{exc}\r\n".encode())


def _copy(fds: dict[int, int], wanted: dict[int, bool], raw: bool, out: Hijacked) -> None:
    try:
        while fds:
            for fd in select.select(list(fds), [], [])[0]:
                data = os.read(fd, 65536)
                if not data:
                    os.close(fd)
                    del fds[fd]
                elif wanted[fds[fd]]:
                    out.send_threadsafe(data if raw else frame(fds[fd], data))
    finally:
        for fd in fds:
            os.close(fd)
