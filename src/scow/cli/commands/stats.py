"""owns: `scow stats` / `scow container stats`: docker's table (or --format) of the containers'
resource usage, refreshed in place each second, or once with --no-stream."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scow.cli import output
from scow.cli.context import Context
from scow.cli.flags import Command, Options

if TYPE_CHECKING:
    from scow.engine.containers.stats import ContainerStats

DEFAULT = ("table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}"
           "\t{{.BlockIO}}\t{{.PIDs}}")
HEADERS = {"Container": "CONTAINER", "ID": "CONTAINER ID", "Name": "NAME", "CPUPerc": "CPU %",
           "MemUsage": "MEM USAGE / LIMIT", "MemPerc": "MEM %", "NetIO": "NET I/O",
           "BlockIO": "BLOCK I/O", "PIDs": "PIDS"}
CLEAR = "\033[2J\033[H"  # docker clears the screen before each refresh


def command() -> Command:
    cmd = Command("stats", usage="scow stats [OPTIONS] [CONTAINER...]",
                  short="Display a live stream of container(s) resource usage statistics",
                  aliases=("container stats", "stats"), args=(0, None))
    cmd.bool("all", "a", "Show all containers (default shows just running)")
    cmd.string("format", None, output.FORMAT_HELP, metavar="string")
    cmd.bool("no-stream", None, "Disable streaming stats and only pull the first result")
    cmd.bool("no-trunc", None, "Do not truncate output")
    return cmd


class StatsRow:
    __go_fields__ = ("BlockIO", "CPUPerc", "Container", "ID", "MemPerc", "MemUsage", "Name",
                     "NetIO", "PIDs")

    def __init__(self, s: ContainerStats, given: str, no_trunc: bool) -> None:
        from scow.format.units import bytes_size, human_size

        self.ID = s.id if no_trunc else s.id[:12]
        self.Container = given or self.ID
        self.Name = s.name
        self.CPUPerc = f"{s.cpu_percent:.2f}%"
        self.MemUsage = f"{bytes_size(s.memory)} / {bytes_size(s.memory_limit)}"
        self.MemPerc = f"{s.memory_percent:.2f}%"
        self.NetIO = f"{human_size(s.net_rx)} / {human_size(s.net_tx)}"
        self.BlockIO = f"{human_size(s.block_read)} / {human_size(s.block_write)}"
        self.PIDs = str(s.pids)


def run(opts: Options, ctx: Context) -> int:
    fmt = DEFAULT if opts.format in ("", "table") else opts.format
    given = {ctx.engine.containers.id_of(name): name for name in opts.args}
    stream = ctx.engine.containers.stream_stats(opts.args or None, all=opts.all)
    for batch in stream:
        if not opts.no_stream:
            ctx.stdout.write(CLEAR)
        rows = [StatsRow(s, given.get(s.id, ""), opts.no_trunc) for s in batch]
        output.print_rows(ctx, fmt, rows, default=DEFAULT, headers=HEADERS)
        ctx.stdout.flush()
        if opts.no_stream or (not batch and not opts.all and not opts.args):
            break
    return 0
