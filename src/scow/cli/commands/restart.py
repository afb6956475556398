"""owns: `scow restart`."""

from __future__ import annotations

from scow.cli.context import Context
from scow.cli.flags import Command, Options
from scow.cli.output import for_each


def command() -> Command:
    cmd = Command("restart", usage="scow restart [OPTIONS] CONTAINER [CONTAINER...]",
                  short="Restart one or more containers",
                  aliases=("container restart", "restart"), args=(1, None))
    cmd.string("signal", "s", "Signal to send to the container", metavar="string")
    cmd.int("time", "t", "Seconds to wait before killing the container", default=-1)
    return cmd


def run(opts: Options, ctx: Context) -> int:
    svc = ctx.engine.containers
    timeout = None if opts.time < 0 else float(opts.time)

    return for_each(ctx, opts.args, lambda name: svc.restart(
        name, timeout=timeout, signal=opts.signal or None))
