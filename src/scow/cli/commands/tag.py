"""owns: `scow tag` / `scow image tag`."""

from __future__ import annotations

from scow.cli.context import Context
from scow.cli.flags import Command, Options


def command() -> Command:
    return Command("tag", usage="scow tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
                   short="Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
                   aliases=("image tag", "tag"), args=(2, 2))


def run(opts: Options, ctx: Context) -> int:
    ctx.engine.images.tag(opts.args[0], opts.args[1])
    return 0
