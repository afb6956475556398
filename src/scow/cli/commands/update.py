"""owns: `scow update` / `scow container update`: resources and restart policy of created or
running containers (docker's flags; a running one's cgroups change at once)."""

from __future__ import annotations

import sys
from typing import Any

from scow.cli.context import Context
from scow.cli.flags import Command, Options
from scow.cli.output import for_each

_FIELDS = {"memory": "Memory", "memory-swap": "MemorySwap",
           "memory-reservation": "MemoryReservation", "cpus": "NanoCpus",
           "cpu-shares": "CpuShares", "cpu-period": "CpuPeriod", "cpu-quota": "CpuQuota",
           "cpuset-cpus": "CpusetCpus", "cpuset-mems": "CpusetMems", "pids-limit": "PidsLimit",
           "blkio-weight": "BlkioWeight"}


def command() -> Command:
    from scow.cli.commands.create_resources import _bytes, _nano_cpus, _swap_bytes

    cmd = Command("update", usage="scow update [OPTIONS] CONTAINER [CONTAINER...]",
                  short="Update configuration of one or more containers",
                  aliases=("container update", "update"), args=(1, None))
    cmd.int("blkio-weight", None, "Block IO (relative weight), between 10 and 1000, or 0 to "
            "disable (default 0)")
    cmd.int("cpu-period", None, "Limit CPU CFS (Completely Fair Scheduler) period")
    cmd.int("cpu-quota", None, "Limit CPU CFS (Completely Fair Scheduler) quota")
    cmd.int("cpu-shares", "c", "CPU shares (relative weight)")
    cmd.value("cpus", None, "Number of CPUs", convert=_nano_cpus, default=0, metavar="decimal")
    cmd.string("cpuset-cpus", None, "CPUs in which to allow execution (0-3, 0,1)",
               metavar="string")
    cmd.string("cpuset-mems", None, "MEMs in which to allow execution (0-3, 0,1)",
               metavar="string")
    cmd.value("kernel-memory", None, "Kernel memory limit", convert=_bytes, default=0,
              metavar="bytes")
    cmd.value("memory", "m", "Memory limit", convert=_bytes, default=0, metavar="bytes")
    cmd.value("memory-reservation", None, "Memory soft limit", convert=_bytes, default=0,
              metavar="bytes")
    cmd.value("memory-swap", None, "Swap limit equal to memory plus swap: -1 to enable "
              "unlimited swap", convert=_swap_bytes, default=0, metavar="bytes")
    cmd.int("pids-limit", None, "Tune container pids limit (set -1 for unlimited)")
    cmd.string("restart", None, "Restart policy to apply when a container exits",
               metavar="string")
    return cmd


def run(opts: Options, ctx: Context) -> int:
    resources: dict[str, Any] = {field: getattr(opts, flag.replace("-", "_"))
                                 for flag, field in _FIELDS.items() if opts.changed(flag)}
    if opts.changed("kernel-memory"):
        sys.stderr.write("Error: update container: --kernel-memory is deprecated and not "
                         "supported\n")
        return 1
    restart = opts.restart if opts.changed("restart") else None
    if not resources and restart is None:
        sys.stderr.write("you must provide one or more flags when using this command\n")
        return 1
    return for_each(ctx, opts.args,
                    lambda n: ctx.engine.containers.update(n, resources, restart))
