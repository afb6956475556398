"""owns: `scow image prune`."""

from __future__ import annotations

import sys

from scow.cli import output
from scow.cli.context import Context
from scow.cli.filters import parse_filters
from scow.cli.flags import Command, Options


def command() -> Command:
    cmd = Command("image prune", usage="scow image prune [OPTIONS]",
                  short="Remove unused images", args=(0, 0))
    cmd.bool("all", "a", "Remove all unused images, not just dangling ones")
    cmd.string_list("filter", None, 'Provide filter values (e.g. "until=<timestamp>")',
                    metavar="filter")
    cmd.bool("force", "f", "Do not prompt for confirmation")
    return cmd


def confirm(ctx: Context, warning: str) -> bool:
    ctx.stdout.write(f"{warning}\nAre you sure you want to continue? [y/N] ")
    ctx.stdout.flush()
    answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes")


def run(opts: Options, ctx: Context) -> int:
    warning = ("WARNING! This will remove all images without at least one container associated "
               "to them." if opts.all else "WARNING! This will remove all dangling images.")
    if not opts.force and not confirm(ctx, warning):
        return 0
    records, reclaimed = ctx.engine.images.prune(all=opts.all, filters=parse_filters(opts.filter))
    output.print_pruned(ctx, [("Deleted Images:", image_lines(records))], reclaimed)
    return 0


def image_lines(records: list[dict[str, str]]) -> list[str]:
    """`untagged: x` / `deleted: sha256:...` lines of a prune report."""
    return [f"{key.lower()}: {value}" for record in records for key, value in record.items()]
