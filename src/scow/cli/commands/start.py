"""owns: `scow start` / `scow container start`."""

from __future__ import annotations

import sys

from scow.cli.context import Context
from scow.cli.flags import Command, Options
from scow.errors import ScowError


def command() -> Command:
    cmd = Command("start", usage="scow start [OPTIONS] CONTAINER [CONTAINER...]",
                  short="Start one or more stopped containers",
                  aliases=("container start", "start"), args=(1, None))
    cmd.bool("attach", "a", "Attach STDOUT/STDERR and forward signals")
    cmd.bool("interactive", "i", "Attach container's STDIN")
    return cmd


def run(opts: Options, ctx: Context) -> int:
    svc = ctx.engine.containers
    if opts.attach or opts.interactive:
        if len(opts.args) > 1:
            sys.stderr.write("Error: you cannot start and attach multiple containers at once\n")
            return 1
        from scow.cli.attach_io import pump

        name = opts.args[0]
        started = svc.start(name, attach=True)
        config = svc.config(name)
        if started is None or started.attach is None:
            conn = svc.attach(name)
        else:
            conn = started.attach
        code = pump(conn, stdin=opts.interactive, tty=bool(config.get("Tty")))
        return code if code is not None else svc.wait(name)
    status = 0
    for name in opts.args:
        try:
            svc.start(name)
            ctx.out(name)
        except ScowError as exc:
            sys.stderr.write(f"Error: {exc.message}\n")
            status = 1
    return status
