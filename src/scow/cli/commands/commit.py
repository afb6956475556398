"""owns: `scow commit` / `scow container commit`."""

from __future__ import annotations

from scow.cli.context import Context
from scow.cli.flags import Command, Options


def command() -> Command:
    cmd = Command("commit", usage="scow commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
                  short="Create a new image from a container's changes",
                  aliases=("container commit", "commit"), args=(1, 2))
    cmd.string("author", "a", 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")',
               metavar="string")
    cmd.string_list("change", "c", "Apply Dockerfile instruction to the created image",
                    metavar="list")
    cmd.string("message", "m", "Commit message", metavar="string")
    cmd.bool("pause", "p", "Pause container during commit", default=True)
    return cmd


def run(opts: Options, ctx: Context) -> int:
    image_id = ctx.engine.containers.commit(
        opts.args[0], opts.args[1] if len(opts.args) > 1 else None, message=opts.message,
        author=opts.author, changes=opts.change, pause=opts.pause)
    ctx.out(image_id)
    return 0
