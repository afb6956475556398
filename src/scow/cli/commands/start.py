"""owns: `scow start` / `scow container start`."""

from __future__ import annotations

import sys

from scow.cli.context import Context
from scow.cli.flags import ArgCountError, Command, Options
from scow.errors import ScowError


def command() -> Command:
    cmd = Command("start", usage="scow start [OPTIONS] CONTAINER [CONTAINER...]",
                  short="Start one or more stopped containers",
                  aliases=("container start", "start"), args=(0, None))
    cmd.bool("attach", "a", "Attach STDOUT/STDERR and forward signals")
    cmd.bool("restart-policies", None, "Start the containers whose restart policy asks for it "
             "after a reboot", hidden=True)  # run by scow's boot unit (docs/design/runtime.md)
    cmd.bool("interactive", "i", "Attach container's STDIN")
    return cmd


def _restart_policies(ctx: Context) -> int:
    status = 0
    for name, error in ctx.engine.containers.start_restart_policies():
        if error:
            sys.stderr.write(f"Error: start {name}: {error}\n")
            status = 1
        else:
            ctx.out(name)
    return status


def run(opts: Options, ctx: Context) -> int:
    svc = ctx.engine.containers
    if opts.restart_policies:
        return _restart_policies(ctx)
    if not opts.args:
        cmd = command()
        raise ArgCountError('"start" requires at least 1 argument.', cmd,
                            usage=f"Usage:  {cmd.usage}\n\n{cmd.short}")
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
