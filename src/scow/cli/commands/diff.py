"""owns: `scow diff` / `scow container diff`."""

from __future__ import annotations

from scow.cli.context import Context
from scow.cli.flags import Command, Options


def command() -> Command:
    return Command("diff", usage="scow diff CONTAINER",
                   short="Inspect changes to files or directories on a container's filesystem",
                   aliases=("container diff", "diff"), args=(1, 1))


def run(opts: Options, ctx: Context) -> int:
    for kind, path in ctx.engine.containers.changes(opts.args[0]):
        ctx.out(f"{kind} {path}")
    return 0
