"""owns: `scow stop`, `scow restart`, `scow kill`, `scow pause`, `scow unpause` (the
commands that signal running containers, one name at a time, errors per name)."""

from __future__ import annotations

import sys
from collections.abc import Callable

from scow.cli.context import Context
from scow.cli.flags import Command, Options
from scow.errors import ScowError


def command() -> Command:
    cmd = Command("stop", usage="scow stop [OPTIONS] CONTAINER [CONTAINER...]",
                  short="Stop one or more running containers",
                  aliases=("container stop", "stop"), args=(1, None))
    cmd.string("signal", "s", "Signal to send to the container", metavar="string")
    cmd.int("time", "t", "Seconds to wait before killing the container", default=-1)
    return cmd


def for_each(ctx: Context, names: list[str], action: Callable[[str], object]) -> int:
    status = 0
    for name in names:
        try:
            action(name)
            ctx.out(name)
        except ScowError as exc:
            sys.stderr.write(f"Error: {exc.message}\n")
            status = 1
    return status


def run(opts: Options, ctx: Context) -> int:
    from scow.engine import container_run

    svc = ctx.engine.containers
    timeout = None if opts.time < 0 else float(opts.time)
    return for_each(ctx, opts.args, lambda n: container_run.stop(
        svc, n, timeout=timeout, signal=opts.signal or None))
