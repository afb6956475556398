"""owns: `scow system service`: the Docker Engine API on a unix socket (scow.api.server);
aiohttp is imported here only, when the command runs."""

from __future__ import annotations

from scow.cli.context import Context
from scow.cli.flags import Command, Options

LONG = """Serve the Docker Engine API (version 1.41) on a unix socket, so the docker CLI,
docker-py and docker-compose drive scow (DOCKER_HOST=unix://PATH).

The service is one more client of the store: scow commands keep working on the same root at
the same time. It exits after --time seconds with no connection and no request in flight
(0: never), and on SIGTERM after finishing the requests in flight. The socket is made mode
0660, group "scow" where that group exists. Under systemd, contrib/systemd/scow.socket starts
it on demand (the socket is passed in, --socket is then ignored).

Needs the "daemon" extra (pip install 'scow[daemon]'): aiohttp."""


def command() -> Command:
    cmd = Command("system service", usage="scow system service [OPTIONS]",
                  short="Serve the Docker Engine API on a unix socket", args=(0, 0), long=LONG)
    cmd.string("socket", None, "Socket to serve on (PATH or unix://PATH)",
               default="/run/scow/scow.sock", metavar="string")
    cmd.int("time", "t", "Seconds without a connection or request before exiting (0: never)",
            default=5)
    return cmd


def run(opts: Options, ctx: Context) -> int:
    from scow.errors import InvalidArgument, Unavailable

    if opts.time < 0:
        raise InvalidArgument(f"invalid --time {opts.time}: seconds, 0 or more")
    try:
        from scow.api.server import run_service, socket_path
    except ModuleNotFoundError as exc:
        if exc.name != "aiohttp":
            raise
        raise Unavailable("system service: aiohttp is not installed (pip install "
                          "'scow[daemon]')") from None
    if ctx.debug:  # each failed request's traceback, and aiohttp's own messages
        import logging

        logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s")
    path = socket_path(opts.socket)
    run_service(ctx.engine, path, float(opts.time))
    return 0
