"""owns: `scow top` / `scow container top`."""

from __future__ import annotations

from scow.cli.context import Context
from scow.cli.flags import Command, Options


def command() -> Command:
    return Command("top", usage="scow top CONTAINER [ps OPTIONS]",
                   short="Display the running processes of a container",
                   aliases=("container top", "top"), args=(1, None), interspersed=False)


def run(opts: Options, ctx: Context) -> int:
    from scow.format.tabwriter import tabulate

    titles, rows = ctx.engine.containers.top(opts.args[0], opts.args[1:] or None)
    text = "".join("\t".join(fields) + "\n" for fields in [titles, *rows])
    ctx.stdout.write(tabulate(text, minwidth=20, tabwidth=1, padding=3))
    return 0
