"""owns: `scow system df`."""

from __future__ import annotations

from scow.cli.context import Context
from scow.cli.flags import Command, Options


def command() -> Command:
    cmd = Command("system df", usage="scow system df [OPTIONS]", short="Show docker disk usage",
                  args=(0, 0))
    cmd.string("format", None, "Format output using a custom template", metavar="string")
    cmd.bool("verbose", "v", "Show detailed information on space usage")
    return cmd


def _human(n: int) -> str:
    from scow.format.units import human_size

    return human_size(n, precision=4)


def _reclaimable(reclaimable: int, total: int) -> str:
    if total > 0:
        return f"{_human(reclaimable)} ({reclaimable * 100 // total}%)"
    return _human(reclaimable)


def run(opts: Options, ctx: Context) -> int:
    usage = ctx.engine.system.disk_usage()
    used = sum(i.size - i.shared_size for i in usage.images if i.containers)
    active = sum(1 for i in usage.images if i.containers)
    rows = [
        ("TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"),
        ("Images", str(len(usage.images)), str(active), _human(usage.layers_size),
         _reclaimable(usage.layers_size - used, usage.layers_size)),
        ("Containers", "0", "0", "0B", "0B"),
        ("Local Volumes", "0", "0", "0B", "0B"),
        ("Build Cache", "0", "0", "0B", "0B"),
    ]
    from scow.format.tabwriter import TabWriter

    tw = TabWriter(ctx.stdout, minwidth=10, tabwidth=1, padding=3, padchar=" ")
    for row in rows:
        tw.write("\t".join(row) + "\n")
    tw.flush()
    return 0
