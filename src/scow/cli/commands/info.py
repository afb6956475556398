"""owns: `scow info` / `scow system info`."""

from __future__ import annotations

from scow import __version__
from scow.cli.context import Context
from scow.cli.flags import Command, Options


def command() -> Command:
    cmd = Command("info", usage="scow info [OPTIONS]", short="Display system-wide information",
                  aliases=("system info", "info"), args=(0, 0))
    cmd.string("format", "f", "Format output using a custom template", metavar="string")
    return cmd


def run(opts: Options, ctx: Context) -> int:
    lines = ctx.engine.system.info()
    if opts.format:
        from scow.cli.output import to_go
        from scow.format.docker import render_one

        data = {k.replace(" ", ""): v for k, v, _ in lines}
        ctx.stdout.write(render_one(opts.format, to_go(data)))
        return 0
    ctx.out("Client:")
    ctx.out(f" Version:    {__version__}")
    ctx.out(" Context:    default (no daemon: scow works on its store directly)")
    ctx.out()
    ctx.out("Server:")
    for key, value, indent in lines:
        ctx.out(" " * indent + f"{key}: {value}")
    return 0
