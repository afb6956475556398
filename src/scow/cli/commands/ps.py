"""owns: `scow ps` / `scow container ls`."""

from __future__ import annotations

from scow.cli import output
from scow.cli.context import Context
from scow.cli.filters import parse_filters
from scow.cli.flags import Command, Options
from scow.engine.containers import ContainerSummary
from scow.fastjson import dumps

DEFAULT = ("table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}"
           "\t{{.Names}}")
HEADERS = {"ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND",
           "RunningFor": "CREATED", "CreatedAt": "CREATED AT", "Status": "STATUS",
           "Ports": "PORTS", "Names": "NAMES", "Size": "SIZE", "State": "STATE",
           "Labels": "LABELS", "Mounts": "MOUNTS", "Networks": "NETWORKS",
           "LocalVolumes": "LOCAL VOLUMES"}


def command() -> Command:
    cmd = Command("ps", usage="scow ps [OPTIONS]", short="List containers",
                  aliases=("container ls", "container list", "container ps", "ps"), args=(0, 0))
    cmd.bool("all", "a", "Show all containers (default shows just running)")
    cmd.string_list("filter", "f", "Filter output based on conditions provided",
                    metavar="filter")
    cmd.string("format", None, output.FORMAT_HELP, metavar="string")
    cmd.int("last", "n", "Show n last created containers (includes all states)", default=-1)
    cmd.bool("latest", "l", "Show the latest created container (includes all states)")
    cmd.bool("no-trunc", None, "Don't truncate output")
    cmd.bool("quiet", "q", "Only display container IDs")
    cmd.bool("size", "s", "Display total file sizes")
    return cmd


class ContainerRow:
    __go_fields__ = ("Command", "CreatedAt", "ID", "Image", "Labels", "LocalVolumes", "Mounts",
                     "Names", "Networks", "Ports", "RunningFor", "Size", "State", "Status")

    def __init__(self, s: ContainerSummary, no_trunc: bool) -> None:
        from scow.format.units import ellipsis

        self.ID = s.id if no_trunc else s.id[:12]
        image = s.image
        if image.startswith("sha256:") and not no_trunc:
            image = image[7:19]
        self.Image = image
        self.Command = dumps(s.command if no_trunc else ellipsis(s.command, 20),
                             ensure_ascii=False)
        self.CreatedAt = output.created_at(s.created)
        self.RunningFor = output.since(s.created)
        self.Ports = s.ports
        self.State = s.state
        self.Status = s.status
        self.Names = s.name
        self.Labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
        self.Mounts = ",".join(s.mounts)
        self.LocalVolumes = str(len(s.mounts))
        self.Networks = s.networks
        self.Size = _size(s)
        self._labels = s.labels

    def Label(self, key: str) -> str:  # noqa: N802 - docker's template method name
        return self._labels.get(key, "")


def _size(s: ContainerSummary) -> str:
    if s.size_rw is None:
        return ""
    rw = output.size(s.size_rw)
    if s.size_root_fs:
        return f"{rw} (virtual {output.size(s.size_root_fs)})"
    return rw


def run(opts: Options, ctx: Context) -> int:
    fmt = opts.format
    wants_size = opts.size or "{{.Size}}" in fmt.replace(" ", "")
    last = 1 if opts.latest else opts.last
    containers = ctx.engine.containers.list_containers(
        all=opts.all, size=wants_size and not opts.quiet, filters=parse_filters(opts.filter),
        last=last)
    if opts.quiet:
        ctx.stdout.write("".join(f"{s.id if opts.no_trunc else s.id[:12]}\n" for s in containers))
        return 0
    default = DEFAULT + ("\t{{.Size}}" if opts.size else "")
    if fmt in ("", "table"):
        fmt = default
    output.print_rows(ctx, fmt, [ContainerRow(s, opts.no_trunc) for s in containers],
                      default=default, headers=HEADERS)
    return 0
