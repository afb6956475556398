"""owns: `scow builder prune`: remove the build cache (the RUN --mount=type=cache folders no
running step holds, and the step cache's rows whose layer is gone, or all rows with -a)."""

from __future__ import annotations

from scow.cli import output
from scow.cli.commands.image_prune import confirm
from scow.cli.context import Context
from scow.cli.flags import Command, Options


def command() -> Command:
    cmd = Command("builder prune", usage="scow builder prune", short="Remove build cache",
                  args=(0, 0))
    cmd.bool("all", "a", "Remove all unused build cache, not just dangling ones")
    cmd.bool("force", "f", "Do not prompt for confirmation")
    return cmd


def run(opts: Options, ctx: Context) -> int:
    warning = ("WARNING! This will remove all build cache." if opts.all else
               "WARNING! This will remove all dangling build cache.")
    if not opts.force and not confirm(ctx, warning):
        return 0
    removed, reclaimed = ctx.engine.build.prune(all=opts.all)
    output.print_pruned(ctx, [("Deleted build cache objects:", removed)], reclaimed)
    return 0
