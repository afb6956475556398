"""owns: `scow rename` / `scow container rename`."""

from __future__ import annotations

from scow.cli.context import Context
from scow.cli.flags import Command, Options


def command() -> Command:
    return Command("rename", usage="scow rename CONTAINER NEW_NAME",
                   short="Rename a container", aliases=("container rename", "rename"),
                   args=(2, 2))


def run(opts: Options, ctx: Context) -> int:
    ctx.engine.containers.rename(opts.args[0].strip(), opts.args[1].strip())
    return 0
