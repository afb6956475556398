"""owns: `scow pause`."""

from __future__ import annotations

from scow.cli.context import Context
from scow.cli.flags import Command, Options
from scow.cli.output import for_each


def command() -> Command:
    return Command("pause", usage="scow pause CONTAINER [CONTAINER...]",
                   short="Pause all processes within one or more containers",
                   aliases=("container pause", "pause"), args=(1, None))


def run(opts: Options, ctx: Context) -> int:
    return for_each(ctx, opts.args, lambda n: ctx.engine.containers.pause(n))
