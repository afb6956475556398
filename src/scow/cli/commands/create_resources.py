"""owns: the resource and runtime flags `run` and `create` share (docker's names and help):
`--memory`, `--cpus`, `--pids-limit`, `--ulimit`, `--device`, `--tmpfs`, `--sysctl`, `--ipc`,
`--pid`, `--uts`, `--init`, `--cidfile`, `--label-file`; mapped onto CreateOptions fields."""

from __future__ import annotations

from scow.cli.flags import Command, Options
from scow.errors import InvalidArgument

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any


def _bytes(text: str) -> int:
    from scow.format.units import parse_size

    try:
        return parse_size(text)
    except InvalidArgument as exc:
        raise ValueError(exc.message) from None


def _swap_bytes(text: str) -> int:
    return -1 if text == "-1" else _bytes(text)


def _nano_cpus(text: str) -> int:
    from fractions import Fraction

    try:
        value = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"failed to parse {text} as a rational number") from None
    nano = value * 10**9
    if nano.denominator != 1:
        raise ValueError("value is too precise")
    return int(nano)


def _ulimit(text: str) -> dict[str, Any]:
    from scow.engine.containers.resources import parse_ulimit

    try:
        return parse_ulimit(text)
    except InvalidArgument as exc:
        raise ValueError(exc.message) from None


def _sysctl(text: str) -> tuple[str, str]:
    """docker's opts.ValidateSysctl: KEY=VALUE of a namespaced sysctl."""
    from scow.engine.containers.resources import sysctls

    key, sep, value = text.partition("=")
    try:
        if not sep:
            raise InvalidArgument("")
        sysctls({key: value}, "")
    except InvalidArgument:
        raise ValueError(f"sysctl '{text}' is not allowed") from None
    return key, value


def add_resource_flags(cmd: Command) -> None:
    cmd.value("memory", "m", "Memory limit", convert=_bytes, default=0, metavar="bytes")
    cmd.value("memory-swap", None, "Swap limit equal to memory plus swap: '-1' to enable "
              "unlimited swap", convert=_swap_bytes, default=0, metavar="bytes")
    cmd.value("memory-reservation", None, "Memory soft limit", convert=_bytes, default=0,
              metavar="bytes")
    cmd.value("kernel-memory", None, "Kernel memory limit", convert=_bytes, default=0,
              metavar="bytes")
    cmd.value("cpus", None, "Number of CPUs", convert=_nano_cpus, default=0, metavar="decimal")
    cmd.int("cpu-shares", "c", "CPU shares (relative weight)")
    cmd.int("cpu-period", None, "Limit CPU CFS (Completely Fair Scheduler) period")
    cmd.int("cpu-quota", None, "Limit CPU CFS (Completely Fair Scheduler) quota")
    cmd.string("cpuset-cpus", None, "CPUs in which to allow execution (0-3, 0,1)",
               metavar="string")
    cmd.string("cpuset-mems", None, "MEMs in which to allow execution (0-3, 0,1)",
               metavar="string")
    cmd.int("pids-limit", None, "Tune container pids limit (set -1 for unlimited)")
    cmd.bool("oom-kill-disable", None, "Disable OOM Killer")
    cmd.int("blkio-weight", None, "Block IO (relative weight), between 10 and 1000, or 0 to "
            "disable (default 0)")
    cmd.value("ulimit", None, "Ulimit options (default [])", convert=_ulimit, repeated=True,
              metavar="ulimit")
    cmd.value("shm-size", None, "Size of /dev/shm", convert=_bytes, default=None,
              metavar="bytes")
    cmd.value("sysctl", None, "Sysctl options (default map[])", convert=_sysctl,
              repeated=True, metavar="map")
    cmd.string_list("tmpfs", None, "Mount a tmpfs directory", metavar="list")
    cmd.string_list("device", None, "Add a host device to the container", metavar="list")
    cmd.string("ipc", None, "IPC mode to use", metavar="string")
    cmd.string("pid", None, "PID namespace to use", metavar="string")
    cmd.string("uts", None, "UTS namespace to use", metavar="string")
    cmd.bool("init", None, "Run an init inside the container that forwards signals and reaps "
             "processes")
    cmd.string("cidfile", None, "Write the container ID to the file", metavar="string")
    cmd.string_list("label-file", None, "Read in a line delimited file of labels",
                    metavar="list")
    cmd.string_list("attach", "a", "Attach to STDIN, STDOUT or STDERR", metavar="list")
    cmd.string("cgroupns", None, "Cgroup namespace to use (host|private)", metavar="string")
    cmd.string_list("device-cgroup-rule", None, "Add a rule to the cgroup allowed devices "
                    "list", metavar="list")
    cmd.int("memory-swappiness", None, "Tune container memory swappiness (0 to 100)",
            default=-1)
    cmd.string("volume-driver", None, "Optional volume driver for the container",
               metavar="string")


def resource_options(opts: Options) -> dict[str, Any]:
    """The CreateOptions fields of the flags above."""
    sysctls = dict(opts.sysctl)
    for stream in opts.attach:
        if stream.lower() not in ("stdin", "stdout", "stderr"):
            raise InvalidArgument(f'invalid argument "{stream}" for "-a, --attach" flag: '
                                  "valid streams are STDIN, STDOUT and STDERR")
    return {"memory": opts.memory, "memory_swap": opts.memory_swap,
            "memory_reservation": opts.memory_reservation,
            "kernel_memory": opts.kernel_memory, "nano_cpus": opts.cpus,
            "cpu_shares": opts.cpu_shares, "cpu_period": opts.cpu_period,
            "cpu_quota": opts.cpu_quota, "cpuset_cpus": opts.cpuset_cpus,
            "cpuset_mems": opts.cpuset_mems,
            "pids_limit": opts.pids_limit if opts.changed("pids-limit") else None,
            "oom_kill_disable": opts.oom_kill_disable if opts.changed("oom-kill-disable")
            else None, "blkio_weight": opts.blkio_weight, "ulimits": list(opts.ulimit),
            "shm_size": opts.shm_size, "sysctls": sysctls, "tmpfs": list(opts.tmpfs),
            "devices": list(opts.device), "ipc": opts.ipc, "pid": opts.pid, "uts": opts.uts,
            "init": True if opts.init else None, "cgroupns": opts.cgroupns,
            "device_cgroup_rules": list(opts.device_cgroup_rule),
            "memory_swappiness": None if opts.memory_swappiness == -1
            else opts.memory_swappiness, "volume_driver": opts.volume_driver}


def label_file_labels(paths: list[str]) -> dict[str, str]:
    """--label-file: KEY=VALUE lines (blank lines and # comments skipped), as docker."""
    out: dict[str, str] = {}
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                lines = f.read().splitlines()
        except OSError as exc:
            raise InvalidArgument(f"open {path}: {exc.strerror or exc}") from None
        for line in lines:
            line = line.strip()
            if line and not line.startswith("#"):
                key, _, value = line.partition("=")
                out[key] = value
    return out


def check_cidfile(path: str) -> None:
    """docker refuses a --cidfile that exists (another container may own it)."""
    import os

    if path and os.path.exists(path):
        raise InvalidArgument(f"container ID file found, make sure the other container isn't "
                              f"running or delete {path}")


def write_cidfile(path: str, container_id: str) -> None:
    if path:
        try:
            with open(path, "x", encoding="ascii") as f:
                f.write(container_id)
        except OSError as exc:
            raise InvalidArgument(f"failed to create the container ID file: "
                                  f"{exc.strerror or exc}") from None
