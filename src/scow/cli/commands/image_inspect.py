"""owns: `scow image inspect`."""

from __future__ import annotations

import sys

from scow.cli import output
from scow.cli.context import Context
from scow.cli.flags import Command, Options
from scow.errors import NotFound

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any


def command() -> Command:
    cmd = Command("image inspect", usage="scow image inspect [OPTIONS] IMAGE [IMAGE...]",
                  short="Display detailed information on one or more images", args=(1, None))
    cmd.string("format", "f", "Format output using a custom template:\n'json':             "
               "Print in JSON format\n'TEMPLATE':         Print output using the given Go "
               "template.", metavar="string")
    return cmd


def run(opts: Options, ctx: Context) -> int:
    return inspect_objects(ctx, opts.args, opts.format, [ctx.engine.images.inspect])


def inspect_objects(ctx: Context, names: list[str], fmt: str,
                    getters: list[Any]) -> int:
    """Inspect each name with the first getter that knows it; docker's error rules."""
    objects: list[dict[str, Any]] = []
    errors: list[str] = []
    for name in names:
        for getter in getters:
            try:
                objects.append(getter(name))
                break
            except NotFound as exc:
                last = exc
        else:
            errors.append(str(last) if len(getters) == 1 else f"No such object: {name}")
    if objects or not fmt:
        output.print_inspect(ctx, objects, "" if fmt == "json" else fmt)
    for message in errors:
        sys.stderr.write(f"Error: {message}\n")
    return 1 if errors else 0
