"""owns: `scow image history` / `scow history`."""

from __future__ import annotations

import time

from scow.cli import output
from scow.cli.context import Context
from scow.cli.flags import Command, Options
from scow.engine.images import HistoryRow

DEFAULT = "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
HEADERS = {"ID": "IMAGE", "CreatedSince": "CREATED", "CreatedAt": "CREATED AT",
           "CreatedBy": "CREATED BY", "Size": "SIZE", "Comment": "COMMENT"}


def command() -> Command:
    cmd = Command("history", usage="scow image history [OPTIONS] IMAGE",
                  short="Show the history of an image", aliases=("image history", "history"),
                  args=(1, 1))
    cmd.string("format", None, output.FORMAT_HELP, metavar="string")
    cmd.bool("human", "H", "Print sizes and dates in human readable format", default=True)
    cmd.bool("no-trunc", None, "Don't truncate output")
    cmd.bool("quiet", "q", "Only show image IDs")
    return cmd


class HistoryLine:
    __go_fields__ = ("Comment", "CreatedAt", "CreatedBy", "CreatedSince", "ID", "Size")

    def __init__(self, row: HistoryRow, human: bool, no_trunc: bool) -> None:
        from scow.format.units import ellipsis

        self.ID = row.id if row.id == "<missing>" else output.short(row.id, no_trunc)
        created_by = row.created_by.replace("\t", " ")
        self.CreatedBy = created_by if no_trunc else ellipsis(created_by, 45)
        self.Comment = row.comment
        self.CreatedAt = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(row.created)))
        self.CreatedSince = output.since(row.created) if human else self.CreatedAt
        self.Size = output.size(row.size) if human else str(row.size)


def run(opts: Options, ctx: Context) -> int:
    rows = ctx.engine.images.history(opts.args[0])
    lines = [HistoryLine(r, opts.human, opts.no_trunc) for r in rows]
    if opts.quiet:
        ctx.stdout.write("".join(f"{line.ID}\n" for line in lines))
        return 0
    fmt = DEFAULT if opts.format in ("", "table") else opts.format
    output.print_rows(ctx, fmt, lines, default=DEFAULT, headers=HEADERS)
    return 0
