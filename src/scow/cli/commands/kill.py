"""owns: `scow kill`."""

from __future__ import annotations

from scow.cli.context import Context
from scow.cli.flags import Command, Options
from scow.cli.output import for_each


def command() -> Command:
    cmd = Command("kill", usage="scow kill [OPTIONS] CONTAINER [CONTAINER...]",
                  short="Kill one or more running containers",
                  aliases=("container kill", "kill"), args=(1, None))
    cmd.string("signal", "s", "Signal to send to the container", metavar="string",
               default="KILL")
    return cmd


def run(opts: Options, ctx: Context) -> int:
    svc = ctx.engine.containers
    return for_each(ctx, opts.args, lambda n: svc.kill(n, opts.signal))
