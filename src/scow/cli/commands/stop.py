"""owns: `scow stop`."""

from __future__ import annotations

from scow.cli.context import Context
from scow.cli.flags import Command, Options
from scow.cli.output import for_each


def command() -> Command:
    cmd = Command("stop", usage="scow stop [OPTIONS] CONTAINER [CONTAINER...]",
                  short="Stop one or more running containers",
                  aliases=("container stop", "stop"), args=(1, None))
    cmd.string("signal", "s", "Signal to send to the container", metavar="string")
    cmd.int("time", "t", "Seconds to wait before killing the container", default=-1)
    return cmd


def run(opts: Options, ctx: Context) -> int:
    svc = ctx.engine.containers
    timeout = None if opts.time < 0 else float(opts.time)
    return for_each(ctx, opts.args, lambda n: svc.stop(n, timeout=timeout,
                                                      signal=opts.signal or None))
