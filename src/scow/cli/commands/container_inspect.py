"""owns: `scow container inspect`."""

from __future__ import annotations

from scow.cli.commands.image_inspect import inspect_objects
from scow.cli.context import Context
from scow.cli.flags import Command, Options


def command() -> Command:
    cmd = Command("container inspect", usage="scow container inspect [OPTIONS] CONTAINER "
                  "[CONTAINER...]", short="Display detailed information on one or more "
                  "containers", args=(1, None))
    cmd.string("format", "f", "Format output using a custom template", metavar="string")
    cmd.bool("size", "s", "Display total file sizes")
    return cmd


def run(opts: Options, ctx: Context) -> int:
    svc = ctx.engine.containers
    return inspect_objects(ctx, opts.args, opts.format,
                           [lambda n: svc.inspect(n, size=opts.size)])
