"""owns: `scow rmi` / `scow image rm`."""

from __future__ import annotations

import sys

from scow.cli.context import Context
from scow.cli.flags import Command, Options
from scow.errors import ScowError


def command() -> Command:
    cmd = Command("rmi", usage="scow rmi [OPTIONS] IMAGE [IMAGE...]",
                  short="Remove one or more images",
                  aliases=("image rm", "image remove", "rmi"), args=(1, None))
    cmd.bool("force", "f", "Force removal of the image")
    cmd.bool("no-prune", None, "Do not delete untagged parents")
    return cmd


def run(opts: Options, ctx: Context) -> int:
    status = 0
    for name in opts.args:
        try:
            records = ctx.engine.images.remove(name, force=opts.force, prune=not opts.no_prune)
        except ScowError as exc:
            sys.stderr.write(f"Error: {exc.message}\n")
            status = 1
            continue
        for record in records:
            for key, value in record.items():
                ctx.out(f"{key}: {value}")
    return status
