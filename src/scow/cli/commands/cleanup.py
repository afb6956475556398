"""owns: `scow container cleanup ID` (hidden): what a container's monitor runs when the
container has stopped (unmount its root filesystem; remove it if it was run with --rm)."""

from __future__ import annotations

from scow.cli.context import Context
from scow.cli.flags import Command, Options


def command() -> Command:
    return Command("container cleanup", usage="scow container cleanup CONTAINER",
                   short="Release what a stopped container holds (run by its monitor)",
                   args=(1, 1))


def run(opts: Options, ctx: Context) -> int:

    ctx.engine.containers.exit_cleanup(opts.args[0])
    return 0
