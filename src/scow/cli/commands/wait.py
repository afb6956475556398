"""owns: `scow wait`."""

from __future__ import annotations

import sys

from scow.cli.context import Context
from scow.cli.flags import Command, Options
from scow.errors import ScowError


def command() -> Command:
    return Command("wait", usage="scow wait CONTAINER [CONTAINER...]",
                   short="Block until one or more containers stop, then print their exit codes",
                   aliases=("container wait", "wait"), args=(1, None))


def run(opts: Options, ctx: Context) -> int:
    status = 0
    for name in opts.args:
        try:
            ctx.out(str(ctx.engine.containers.wait(name)))
        except ScowError as exc:
            sys.stderr.write(f"Error: {exc.message}\n")
            status = 1
    return status
