"""owns: `scow unpause`."""

from __future__ import annotations

from scow.cli.context import Context
from scow.cli.flags import Command, Options
from scow.cli.output import for_each


def command() -> Command:
    return Command("unpause", usage="scow unpause CONTAINER [CONTAINER...]",
                   short="Unpause all processes within one or more containers",
                   aliases=("container unpause", "unpause"), args=(1, None))


def run(opts: Options, ctx: Context) -> int:
    return for_each(ctx, opts.args, lambda n: ctx.engine.containers.unpause(n))
