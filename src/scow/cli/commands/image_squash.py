"""owns: `scow image squash` (scow's own: flatten an image's layers into one)."""

from __future__ import annotations

from scow.cli.context import Context
from scow.cli.flags import Command, Options


def command() -> Command:
    cmd = Command("squash", usage="scow image squash [OPTIONS] IMAGE",
                  short="Flatten an image's layers into one, keeping its history",
                  long="Flatten the layers of IMAGE from index N (0 = the base layer) up into "
                       "one layer, as a new image. Every history entry is kept; the squashed "
                       "ones become empty layers. Use it for images deeper than the storage "
                       "driver can stack (overlay2: 499 layers).",
                  aliases=("image squash",), args=(1, 1))
    cmd.int("from", None, "Index of the first layer to squash (0 = all layers)", metavar="int")
    cmd.string("tag", "t", "Name and optionally a tag for the new image (format: "
               '"name:tag")', metavar="string")
    return cmd


def run(opts: Options, ctx: Context) -> int:
    image_id = ctx.engine.images.squash(opts.args[0], getattr(opts, "from"), opts.tag or None)
    ctx.out(image_id)
    return 0
