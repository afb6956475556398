"""owns: `scow rm` / `scow container rm`."""

from __future__ import annotations

from scow.cli.context import Context
from scow.cli.flags import Command, Options
from scow.cli.output import for_each


def command() -> Command:
    cmd = Command("rm", usage="scow rm [OPTIONS] CONTAINER [CONTAINER...]",
                  short="Remove one or more containers",
                  aliases=("container rm", "container remove", "rm"), args=(1, None))
    cmd.bool("force", "f", "Force the removal of a running container (uses SIGKILL)")
    cmd.bool("volumes", "v", "Remove anonymous volumes associated with the container")
    cmd.bool("link", "l", "Remove the specified link", hidden=True)
    return cmd


def run(opts: Options, ctx: Context) -> int:
    svc = ctx.engine.containers
    return for_each(ctx, opts.args, lambda n: svc.remove(n, force=opts.force,
                                                         volumes=opts.volumes))
