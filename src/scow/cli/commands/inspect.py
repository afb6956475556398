"""owns: `scow inspect` (any object; images for now, containers when they exist)."""

from __future__ import annotations

from scow.cli.commands.image_inspect import inspect_objects
from scow.cli.context import Context
from scow.cli.flags import Command, Options
from scow.errors import InvalidArgument


def command() -> Command:
    cmd = Command("inspect", usage="scow inspect [OPTIONS] NAME|ID [NAME|ID...]",
                  short="Return low-level information on Docker objects", args=(1, None))
    cmd.string("format", "f", "Format output using a custom template:\n'json':             "
               "Print in JSON format\n'TEMPLATE':         Print output using the given Go "
               "template.", metavar="string")
    cmd.bool("size", "s", "Display total file sizes if the type is container")
    cmd.string("type", None, "Return JSON for specified type", metavar="string")
    return cmd


def run(opts: Options, ctx: Context) -> int:
    engine = ctx.engine
    containers = [lambda n: engine.containers.inspect(n, size=opts.size)]
    getters = {"container": containers, "image": [engine.images.inspect],
               "volume": [engine.volumes.inspect], "network": [engine.networks.inspect],
               "": containers + [engine.images.inspect, engine.networks.inspect,
                                 engine.volumes.inspect]}
    if opts.type not in getters:
        raise InvalidArgument(f'"{opts.type}" is not a valid value for --type')
    return inspect_objects(ctx, opts.args, opts.format, getters[opts.type])
