"""owns: `scow load` / `scow image load`."""

from __future__ import annotations

import sys

from scow.cli.context import Context
from scow.cli.flags import Command, Options
from scow.errors import InvalidArgument, from_oserror


def command() -> Command:
    cmd = Command("load", usage="scow load [OPTIONS]",
                  short="Load an image from a tar archive or STDIN",
                  aliases=("image load", "load"), args=(0, 0))
    cmd.string("input", "i", "Read from tar archive file, instead of STDIN", metavar="string")
    cmd.bool("quiet", "q", "Suppress the load output")
    return cmd


def run(opts: Options, ctx: Context) -> int:
    from scow.engine.distribution import NullProgress, Progress
    from scow.format.progress import ProgressWriter

    progress: Progress = NullProgress()
    if not opts.quiet and ctx.stdout.isatty():
        progress = ProgressWriter(ctx.stdout)
    service = ctx.engine.distribution
    if opts.input:
        try:
            f = open(opts.input, "rb")
        except OSError as exc:
            raise from_oserror(f"open {opts.input}", exc) from exc
        with f:
            lines = service.load(f, progress=progress)
    else:
        if sys.stdin.isatty():
            raise InvalidArgument("requested load from stdin, but stdin is empty")
        lines = service.load(sys.stdin.buffer, progress=progress)
    for line in lines:
        ctx.out(line)
    return 0
