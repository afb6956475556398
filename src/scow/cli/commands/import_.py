"""owns: `scow import` / `scow image import`."""

from __future__ import annotations

import sys

from scow.cli.context import Context
from scow.cli.flags import Command, Options
from scow.errors import from_oserror


def command() -> Command:
    cmd = Command("import", usage="scow import [OPTIONS] file|- [REPOSITORY[:TAG]]",
                  short="Import the contents from a tarball to create a filesystem image",
                  aliases=("image import", "import"), args=(1, 2))
    cmd.string_list("change", "c", "Apply Dockerfile instruction to the created image",
                    metavar="list")
    cmd.string("message", "m", "Set commit message for imported image", metavar="string")
    cmd.string("platform", None, "Set platform if server is multi-platform capable",
               metavar="string")
    return cmd


def run(opts: Options, ctx: Context) -> int:
    source = opts.args[0]
    reference = opts.args[1] if len(opts.args) > 1 else None
    engine = ctx.engine
    if source == "-":
        image_id = engine.images.import_image(sys.stdin.buffer, reference=reference,
                                              changes=opts.change, message=opts.message)
    else:
        try:
            f = open(source, "rb")
        except OSError as exc:
            raise from_oserror(f"open {source}", exc) from exc
        with f:
            image_id = engine.images.import_image(f, reference=reference, changes=opts.change,
                                                  message=opts.message)
    ctx.out(image_id)
    return 0
