"""owns: `scow system df` (docker's summary table and its -v detail)."""

from __future__ import annotations

from collections.abc import Sequence

from scow.cli import output
from scow.cli.context import Context
from scow.cli.flags import Command, Options

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from scow.engine.builds.gc import CacheUsage
    from scow.engine.system import DiskUsage


def command() -> Command:
    cmd = Command("system df", usage="scow system df [OPTIONS]", short="Show scow disk usage",
                  args=(0, 0))
    cmd.string("format", None, "Format output using a custom template", metavar="string")
    cmd.bool("verbose", "v", "Show detailed information on space usage")
    return cmd


def _human(n: int) -> str:
    from scow.format.units import human_size

    return human_size(n, precision=4)  # go-units HumanSize, as docker's df


def _reclaimable(reclaimable: int, total: int) -> str:
    if total > 0:
        return f"{_human(reclaimable)} ({reclaimable * 100 // total}%)"
    return _human(reclaimable)


class UsageRow:
    __go_fields__ = ("Type", "TotalCount", "Active", "Size", "Reclaimable")

    def __init__(self, kind: str, total: int, active: int, size: int, reclaimable: int) -> None:
        self.Type, self.TotalCount, self.Active = kind, str(total), str(active)
        self.Size, self.Reclaimable = _human(size), _reclaimable(reclaimable, size)


def summary(usage: DiskUsage, cache: Sequence[CacheUsage] = ()) -> list[UsageRow]:
    used = sum(i.size - i.shared_size for i in usage.images if i.containers)
    rw = sum(c.size_rw for c in usage.containers)
    rw_idle = sum(c.size_rw for c in usage.containers if not c.running)
    vol = sum(v.size for v in usage.volumes)
    vol_idle = sum(v.size for v in usage.volumes if not v.links)
    return [
        UsageRow("Images", len(usage.images), sum(1 for i in usage.images if i.containers),
                 usage.layers_size, usage.layers_size - used),
        UsageRow("Containers", len(usage.containers),
                 sum(1 for c in usage.containers if c.running), rw, rw_idle),
        UsageRow("Local Volumes", len(usage.volumes), sum(1 for v in usage.volumes if v.links),
                 vol, vol_idle),
        _cache_row(cache, usage),
    ]


def _cache_row(cache: Sequence[CacheUsage], usage: DiskUsage) -> UsageRow:
    """docker's Build Cache line: the step cache's records (reclaimable what no image
    shares) and the RUN --mount=type=cache folders (active while a step holds one)."""
    mounts = usage.build_cache
    size = sum(c.size for c in cache) + sum(m.size for m in mounts)
    idle = (sum(c.size for c in cache if not c.shared)
            + sum(m.size for m in mounts if not m.in_use))
    return UsageRow("Build Cache", len(cache) + len(mounts),
                    sum(1 for m in mounts if m.in_use), size, idle)


def run(opts: Options, ctx: Context) -> int:
    usage = ctx.engine.system.disk_usage()
    cache = ctx.engine.system.build_cache_usage()
    default = ("table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}")
    fmt = default if opts.format in ("", "table") else opts.format
    output.print_rows(ctx, fmt, summary(usage, cache), default=default,
                      headers={"Type": "TYPE", "TotalCount": "TOTAL", "Active": "ACTIVE",
                               "Size": "SIZE", "Reclaimable": "RECLAIMABLE"})
    if opts.verbose:
        _verbose(ctx, usage, cache)
    return 0


def _verbose(ctx: Context, usage: DiskUsage, cache: Sequence[CacheUsage]) -> None:
    from scow.format.tabwriter import TabWriter

    def table(title: str, rows: Sequence[tuple[str, ...]]) -> None:
        ctx.out()
        ctx.out(title)
        tw = TabWriter(ctx.stdout, minwidth=10, tabwidth=1, padding=3, padchar=" ")
        for row in rows:
            tw.write("\t".join(row) + "\n")
        tw.flush()

    images = [("REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE", "SHARED SIZE", "UNIQUE SIZE",
               "CONTAINERS")]
    for i in usage.images:
        repo, _, tag = (i.repo_tags[0] if i.repo_tags else "<none>:<none>").rpartition(":")
        images.append((repo, tag, output.short(i.id), output.since(i.created), _human(i.size),
                       _human(i.shared_size), _human(i.size - i.shared_size), str(i.containers)))
    table("Images space usage:", images)
    containers = [("CONTAINER ID", "IMAGE", "COMMAND", "LOCAL VOLUMES", "SIZE", "CREATED",
                   "STATUS", "NAMES")]
    for c in usage.containers:
        containers.append((c.id[:12], c.image, "", "0", _human(c.size_rw), output.since(c.created),
                           c.status, c.name))
    table("Containers space usage:", containers)
    volumes = [("VOLUME NAME", "LINKS", "SIZE")]
    volumes += [(v.name, str(v.links), _human(v.size)) for v in usage.volumes]
    table("Local Volumes space usage:", volumes)
    records = [("CACHE ID", "CACHE TYPE", "SIZE", "CREATED", "LAST USED", "USAGE", "SHARED")]
    records += [(c.id.split(":", 1)[-1][:25], "regular", _human(c.size),
                 output.since(c.created), output.since(c.last_used), "1",
                 str(c.shared).lower()) for c in cache]
    table(f"Build cache usage: {_human(sum(c.size for c in cache))}", records)
    ctx.out()
    ctx.out(f"Container logs: {_human(usage.logs_size)} (not counted above, as docker)")
