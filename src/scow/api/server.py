"""owns: serving the Engine API on a unix socket: the socket (made mode 0660, group `scow`
where that group exists; or the one systemd passes, LISTEN_FDS), the worker threads engine
work runs on, the idle timeout (no connection and no request in flight for `idle` seconds;
0: never) and the graceful stop on SIGTERM/SIGINT (stop accepting, finish what is in flight,
exit; up to SHUTDOWN_TIMEOUT). At its start, before serving, the containers whose restart
policy asks for it are started again (docker's daemon restore: `always`, `unless-stopped`
unless the user stopped it); once serving, a worker thread loads what the first `ps`,
`create`, `run`, `exec` and `build` would otherwise load on their way (`warm_up`)."""

from __future__ import annotations

import asyncio
import contextlib
import grp
import importlib
import logging
import os
import signal
import socket
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from aiohttp import web

from scow.api.app import STOPPING, make_app
from scow.api.operations import operation
from scow.errors import InvalidArgument

if TYPE_CHECKING:
    from scow.engine.engine import Engine

DEFAULT_SOCKET = "/run/scow/scow.sock"
SOCKET_GROUP = "scow"
WORKERS = 32
SHUTDOWN_TIMEOUT = 60.0  # seconds SIGTERM waits for requests in flight
# what the first requests of each kind load beyond the routes (~6 MB resident; on a loaded
# 2-core machine the first ps, create, exec and build each took 30-80 ms more without it)
WARM_MODULES = (
    "scow.engine.containers.listing", "scow.engine.containers.inspect",
    "scow.engine.containers.run", "scow.engine.containers.execs",
    "scow.engine.containers.initlayer", "scow.engine.containers.security",
    "scow.engine.containers.resources", "scow.engine.containers.cgroupns",
    "scow.engine.containers.model", "scow.engine.images.inspect", "scow.engine.images.squash",
    "scow.runtime.runc", "scow.runtime.spec", "scow.runtime.monitor", "scow.runtime.exec",
    "scow.runtime.attach", "scow.runtime.exit_claim", "scow.runtime.logdriver",
    "scow.engine.network_attach", "scow.engine.builds.service", "scow.engine.builds.cache",
    "scow.build.builder", "scow.build.dispatch", "scow.build.instruction_parsers",
    "e2b_dockerfile_utils", "scow.format.tabwriter", "tarfile")
log = logging.getLogger("scow.api")


def socket_path(value: str) -> str:
    """`--socket`: a path or `unix://PATH`."""
    if "://" in value:
        scheme, _, path = value.partition("://")
        if scheme != "unix" or not path:
            raise InvalidArgument(f"invalid socket {value!r}: only unix://PATH is served")
        return path
    return value


def listen_socket(path: str) -> socket.socket:
    """The socket systemd passed (socket activation) or a new one bound at `path`."""
    if os.environ.get("LISTEN_PID") == str(os.getpid()) and \
            int(os.environ.get("LISTEN_FDS", "0")) >= 1:
        return socket.socket(fileno=3)
    os.makedirs(os.path.dirname(os.path.abspath(path)), mode=0o755, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        probe = socket.socket(socket.AF_UNIX)
        try:
            probe.connect(path)
        except ConnectionRefusedError:
            os.unlink(path)  # a stale socket of a service that died
        else:
            raise InvalidArgument(f"serve {path}: another service is listening there")
        finally:
            probe.close()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    sock.listen(128)  # at once: a client that sees the path is never refused
    os.chmod(path, 0o660)
    with contextlib.suppress(KeyError, PermissionError):
        os.chown(path, -1, grp.getgrnam(SOCKET_GROUP).gr_gid)
    return sock


class Activity:
    """Requests in flight and the time of the last one's end (for the idle timeout)."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.last = time.monotonic()

    @web.middleware
    async def middleware(self, request: web.Request,
                         handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                         ) -> web.StreamResponse:
        self.in_flight += 1
        try:
            return await handler(request)
        finally:
            self.in_flight -= 1
            self.last = time.monotonic()


async def serve(engine: Engine, path: str, idle: float) -> None:
    """Serve until SIGTERM/SIGINT, or until idle for `idle` seconds (0: never)."""
    loop = asyncio.get_running_loop()
    loop.set_default_executor(ThreadPoolExecutor(WORKERS, thread_name_prefix="scow-api"))
    activity = Activity()
    app = make_app(engine)
    app.middlewares.insert(0, activity.middleware)
    runner = web.AppRunner(app, handle_signals=False, access_log=None,
                           shutdown_timeout=SHUTDOWN_TIMEOUT)
    await runner.setup()
    await loop.run_in_executor(None, restore_containers, engine)
    sock = listen_socket(path)
    site = web.SockSite(runner, sock)
    await site.start()
    warming = loop.run_in_executor(None, warm_up, engine)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.25)
            if idle > 0 and _idle_for(runner, activity) >= idle:
                break
    finally:
        await warming
        await _drain(app, site, activity)
        await runner.cleanup()
        if sock.family == socket.AF_UNIX and not os.environ.get("LISTEN_FDS"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)


def run_service(engine: Engine, path: str, idle: float) -> None:
    """`serve` on uvloop's event loop where uvloop is installed (the `daemon` extra), else
    on asyncio's: uvloop's loop and transports in C took ~20 % of the service's CPU off
    each small request (in-process loop of connect, HEAD /_ping, GET: 0.32 → 0.25 ms)."""
    try:
        import uvloop
    except ModuleNotFoundError:
        asyncio.run(serve(engine, path, idle))
    else:
        uvloop.run(serve(engine, path, idle))


def warm_up(engine: Engine) -> None:
    """(worker thread, once serving) Load the services and WARM_MODULES, and read the
    listings once; a failure is logged (the first request then loads what it needs)."""
    try:
        engine.containers.list_containers(all=True)
        engine.images.list_images()
        engine.store.driver, engine.store.events  # noqa: B018 - made on first use
        for name in WARM_MODULES:
            importlib.import_module(name)
    except Exception as exc:  # noqa: BLE001 - the service serves anyway
        log.warning("warm up: %s", exc)


def restore_containers(engine: Engine) -> None:
    """(worker thread, at the start) Start the containers whose restart policy asks for it,
    in an operation of its own; each failure is logged, none stops the service."""
    try:
        with operation(engine) as op:
            tried = op.containers.start_restart_policies()
    except Exception as exc:  # noqa: BLE001 - the service serves anyway
        log.warning("restart policies: %s", exc)
        return
    for name, error in tried:
        if error:
            log.warning("restart policy: start %s: %s", name, error)
        else:
            log.info("restart policy: started %s", name)


async def _drain(app: web.Application, site: web.BaseSite, activity: Activity) -> None:
    """Stop accepting, end the endless streams, and let the requests in flight finish
    (aiohttp's own shutdown stops reading request bodies at once: an upload in flight
    would never complete)."""
    await site.stop()
    app[STOPPING].set()
    deadline = time.monotonic() + SHUTDOWN_TIMEOUT
    while activity.in_flight and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


def _idle_for(runner: web.AppRunner, activity: Activity) -> float:
    server = runner.server
    if activity.in_flight or (server is not None and server.connections):
        activity.last = time.monotonic()
        return 0.0
    return time.monotonic() - activity.last
