"""owns: `scow container prune`."""

from __future__ import annotations

from scow.cli import output
from scow.cli.commands.image_prune import confirm
from scow.cli.context import Context
from scow.cli.flags import Command, Options


def command() -> Command:
    cmd = Command("container prune", usage="scow container prune [OPTIONS]",
                  short="Remove all stopped containers", args=(0, 0))
    cmd.bool("force", "f", "Do not prompt for confirmation")
    cmd.string_list("filter", None, "Provide filter values", metavar="filter")
    return cmd


def run(opts: Options, ctx: Context) -> int:
    if not opts.force and not confirm(ctx, "WARNING! This will remove all stopped containers."):
        return 0
    removed, reclaimed = ctx.engine.containers.prune()
    output.print_pruned(ctx, [("Deleted Containers:", removed)], reclaimed)
    return 0
