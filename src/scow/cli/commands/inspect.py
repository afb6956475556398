"""owns: `scow inspect` (any object; images for now, containers when they exist)."""

from __future__ import annotations

from scow.cli.commands.image_inspect import inspect_objects
from scow.cli.context import Context
from scow.cli.flags import Command, Options
from scow.errors import ContainerNotFound, InvalidArgument

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any


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
    engine = ctx.engine  # each service is built only when a name reaches it (start-up)
    containers = [lambda n: engine.containers.inspect(n, size=opts.size)]

    def any_container(name: str) -> dict[str, Any]:
        if not engine.names_container(name):  # an image's name builds no container service
            raise ContainerNotFound(f"No such container: {name}")
        return engine.containers.inspect(name, size=opts.size)
    images = [lambda n: engine.images.inspect(n)]
    networks = [lambda n: engine.networks.inspect(n)]
    volumes = [lambda n: engine.volumes.inspect(n)]
    getters = {"container": containers, "image": images, "volume": volumes,
               "network": networks, "": [any_container, *images, *networks, *volumes]}
    if opts.type not in getters:
        raise InvalidArgument(f'"{opts.type}" is not a valid value for --type')
    return inspect_objects(ctx, opts.args, opts.format, getters[opts.type])
