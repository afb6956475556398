"""owns: `scow system prune`."""

from __future__ import annotations

from scow.cli import output
from scow.cli.commands.image_prune import confirm, image_lines
from scow.cli.context import Context
from scow.cli.flags import Command, Options


def command() -> Command:
    cmd = Command("system prune", usage="scow system prune [OPTIONS]",
                  short="Remove unused data", args=(0, 0))
    cmd.bool("all", "a", "Remove all unused images not just dangling ones")
    cmd.bool("force", "f", "Do not prompt for confirmation")
    cmd.bool("volumes", None, "Prune anonymous volumes")
    return cmd


def warning(opts: Options) -> str:
    lines = ["WARNING! This will remove:", "  - all stopped containers",
             "  - all networks not used by at least one container"]
    if opts.volumes:
        lines.append("  - all anonymous volumes not used by at least one container")
    lines.append("  - all images without at least one container associated to them"
                 if opts.all else "  - all dangling images")
    lines.append("  - all build cache" if opts.all else "  - unused build cache")
    return "\n".join(lines) + "\n"


def run(opts: Options, ctx: Context) -> int:
    if not opts.force and not confirm(ctx, warning(opts)):
        return 0
    result = ctx.engine.system.prune(all=opts.all, volumes=opts.volumes)
    output.print_pruned(ctx, [("Deleted Containers:", result.containers),
                              ("Deleted Networks:", result.networks),
                              ("Deleted Volumes:", result.volumes),
                              ("Deleted Images:", image_lines(result.images)),
                              ("Deleted build cache objects:",
                               [i.split(":", 1)[-1][:25] for i in result.build_cache])],
                        result.reclaimed)
    return 0
