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
    cmd.int("timeout", "t", "Seconds to wait before killing the container")
    cmd.int("time", None, "Seconds to wait before killing the container (deprecated: use "
            "--timeout)", dest="timeout", deprecated="use --timeout instead")
    return cmd


def run(opts: Options, ctx: Context) -> int:
    svc = ctx.engine.containers
    given = opts.changed("timeout") or opts.changed("time")
    timeout = float(opts.timeout) if given else None
    return for_each(ctx, opts.args, lambda n: svc.stop(n, timeout=timeout,
                                                      signal=opts.signal or None))
