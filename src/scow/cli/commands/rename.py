"""owns: `scow rename` / `scow container rename`."""

from __future__ import annotations

from scow.cli.context import Context
from scow.cli.flags import Command, Options


def command() -> Command:
    return Command("rename", usage="scow rename CONTAINER NEW_NAME",
                   short="Rename a container", aliases=("container rename", "rename"),
                   args=(2, 2))


def run(opts: Options, ctx: Context) -> int:
    import sys

    from scow.errors import ScowError

    old, new = opts.args[0].strip(), opts.args[1].strip()
    try:
        ctx.engine.containers.rename(old, new)
    except ScowError as exc:  # the docker CLI: the daemon's error, then its own line
        sys.stderr.write(f"Error: {exc.message}\n")
        sys.stderr.write(f"Error: failed to rename container named {old}\n")
        return 1
    return 0
