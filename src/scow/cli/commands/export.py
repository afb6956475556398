"""owns: `scow export` / `scow container export`."""

from __future__ import annotations

import sys

from scow.cli.context import Context
from scow.cli.flags import Command, Options
from scow.errors import InvalidArgument


def command() -> Command:
    cmd = Command("export", usage="scow export [OPTIONS] CONTAINER",
                  short="Export a container's filesystem as a tar archive",
                  aliases=("container export", "export"), args=(1, 1))
    cmd.string("output", "o", "Write to a file, instead of STDOUT", metavar="string")
    return cmd


def run(opts: Options, ctx: Context) -> int:
    svc = ctx.engine.containers
    if opts.output:
        svc.export(opts.args[0], opts.output)
        return 0
    if sys.stdout.isatty():
        raise InvalidArgument("cowardly refusing to save to a terminal. Use the -o flag or "
                              "redirect")
    svc.export(opts.args[0], sys.stdout.buffer)
    return 0
