"""owns: `scow builder prune` (docker's): release the build cache's records and the layers
only they hold (engine/builds/gc.py has the rules), and the RUN --mount=type=cache
folders no running step holds."""

from __future__ import annotations

from scow.cli import output
from scow.cli.commands.image_prune import confirm
from scow.cli.context import Context
from scow.cli.filters import parse_filters
from scow.cli.flags import Command, Options
from scow.errors import InvalidArgument


def command() -> Command:
    cmd = Command("builder prune", usage="scow builder prune", short="Remove build cache",
                  args=(0, 0))
    cmd.bool("all", "a", "Remove all unused build cache, not just dangling ones")
    cmd.string_list("filter", None, 'Provide filter values (e.g. "until=24h")',
                    metavar="filter")
    cmd.bool("force", "f", "Do not prompt for confirmation")
    cmd.string("keep-storage", None, "Amount of disk space to keep for cache",
               metavar="bytes")
    return cmd


def run(opts: Options, ctx: Context) -> int:
    from scow.engine.builds.gc import parse_until
    from scow.format.units import parse_size

    filters = parse_filters(opts.filter)
    unknown = sorted(set(filters) - {"until"})
    if unknown:
        raise InvalidArgument(f"invalid filter '{unknown[0]}': scow's build cache filters "
                              "by until= only")
    until = min(parse_until(v) for v in filters["until"]) if "until" in filters else None
    keep = parse_size(opts.keep_storage) if opts.keep_storage else None
    warning = ("WARNING! This will remove all build cache." if opts.all else
               "WARNING! This will remove all dangling build cache.")
    if not opts.force and not confirm(ctx, warning):
        return 0
    report = ctx.engine.builds.prune_cache(all=opts.all, until=until, keep_storage=keep)
    ids = [i.split(":", 1)[-1][:25] for i in report.ids]
    output.print_pruned(ctx, [("Deleted build cache objects:", ids)], report.reclaimed)
    return 0
