"""owns: the HostConfig fields of a container's resources and runtime flags (`--memory`,
`--cpus`, `--pids-limit`, `--ulimit`, `--device`, `--tmpfs`, `--sysctl`, `--ipc`, `--pid`,
`--uts`, `--init`...) made from CreateOptions and checked with docker's messages (moby's
daemon/daemon_unix.go verifyPlatformContainerResources, opts/ parsers), and `update`'s
changes to them. What this host cannot apply is refused (runtime/resources.check_host)."""

from __future__ import annotations

import os

from scow.engine.containers.records import HOST_DEFAULTS, HOST_FIXED
from scow.errors import InvalidArgument

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any

    CreateOptions = Any  # config.CreateOptions (config imports this module: no import back)

MIN_MEMORY = 6 * 1024 * 1024  # moby's linuxMinMemory
_ULIMITS = ("core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile",
            "nproc", "rss", "rtprio", "rttime", "sigpending", "stack")
_IPC_SYSCTLS = ("kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
                "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced")
FIXED, DEFAULTS = HOST_FIXED, HOST_DEFAULTS  # records.py's (on every short path)
UPDATABLE = ("Memory", "MemorySwap", "MemoryReservation", "NanoCpus", "CpuShares",
             "CpuPeriod", "CpuQuota", "CpusetCpus", "CpusetMems", "PidsLimit", "BlkioWeight")


def resources_host_config(opts: CreateOptions) -> dict[str, Any]:
    """The resource and runtime fields of HostConfig (docker's names and defaults)."""
    from scow.runtime.resources import check_host

    if opts.kernel_memory:
        raise InvalidArgument("create container: --kernel-memory is deprecated and not "
                              "supported (kernel memory limits are ignored by the kernel)")
    memory_swap = opts.memory_swap
    if opts.memory > 0 and memory_swap == 0:
        memory_swap = opts.memory * 2  # moby's adaptContainerSettings
    out: dict[str, Any] = {
        "Memory": opts.memory, "MemorySwap": memory_swap,
        "MemoryReservation": opts.memory_reservation,
        "NanoCpus": opts.nano_cpus, "CpuShares": opts.cpu_shares,
        "CpuPeriod": opts.cpu_period, "CpuQuota": opts.cpu_quota,
        "CpusetCpus": opts.cpuset_cpus, "CpusetMems": opts.cpuset_mems,
        "PidsLimit": opts.pids_limit if opts.pids_limit and opts.pids_limit > 0 else None,
        "OomKillDisable": bool(opts.oom_kill_disable), "BlkioWeight": opts.blkio_weight,
        "Ulimits": [parse_ulimit(u) if isinstance(u, str) else dict(u) for u in opts.ulimits],
        "ShmSize": 67108864 if opts.shm_size is None else opts.shm_size,
        "Devices": [parse_device(d) for d in opts.devices],
        "IpcMode": _ipc(opts.ipc), "PidMode": _pid(opts.pid), "UTSMode": _uts(opts),
        **FIXED,
    }
    verify(out, update=False)
    if opts.sysctls:
        out["Sysctls"] = sysctls(opts.sysctls, opts.network)
    if opts.tmpfs:
        out["Tmpfs"] = tmpfs(opts.tmpfs)
    if opts.init is not None:
        out["Init"] = opts.init
    check_host(out)
    return out


def verify(host: dict[str, Any], *, update: bool) -> None:
    """moby's verifyPlatformContainerResources errors, worded as docker's."""
    memory, swap = host.get("Memory") or 0, host.get("MemorySwap") or 0
    reservation = host.get("MemoryReservation") or 0
    if memory and memory < MIN_MEMORY:
        raise InvalidArgument("Minimum memory limit allowed is 6MB")
    if memory > 0 and swap > 0 and swap < memory:
        raise InvalidArgument("Minimum memoryswap limit should be larger than memory limit, "
                              "see usage")
    if memory == 0 and swap > 0 and not update:
        raise InvalidArgument("You should always set the Memory limit when using Memoryswap "
                              "limit, see usage")
    if reservation and reservation < MIN_MEMORY:
        raise InvalidArgument("Minimum memory reservation allowed is 6MB")
    if memory > 0 and reservation > 0 and memory < reservation:
        raise InvalidArgument("Minimum memory limit can not be less than memory reservation "
                              "limit, see usage")
    _verify_cpu(host)
    weight = host.get("BlkioWeight") or 0
    if weight and not 10 <= weight <= 1000:
        raise InvalidArgument("Range of blkio weight is from 10 to 1000")
    if host.get("ShmSize", 0) < 0:
        raise InvalidArgument("SHM size can not be less than 0")


def _verify_cpu(host: dict[str, Any]) -> None:
    nano, period, quota = (host.get(k) or 0 for k in ("NanoCpus", "CpuPeriod", "CpuQuota"))
    if nano > 0 and period > 0:
        raise InvalidArgument("Conflicting options: Nano CPUs and CPU Period cannot both be set")
    if nano > 0 and quota > 0:
        raise InvalidArgument("Conflicting options: Nano CPUs and CPU Quota cannot both be set")
    ncpu = os.cpu_count() or 1
    if nano < 0 or nano > ncpu * 10**9:
        raise InvalidArgument(f"Range of CPUs is from 0.01 to {ncpu}.00, as there are only "
                              f"{ncpu} CPUs available")
    if period and not 1000 <= period <= 1000000:
        raise InvalidArgument("CPU cfs period can not be less than 1ms (i.e. 1000) or larger "
                              "than 1s (i.e. 1000000)")
    if 0 < quota < 1000:
        raise InvalidArgument("CPU cfs quota can not be less than 1ms (i.e. 1000)")
    for key, what in (("CpusetCpus", "cpus"), ("CpusetMems", "mems")):
        if host.get(key) and not _cpuset_ok(host[key]):
            raise InvalidArgument(f"Invalid value {host[key]} for cpuset {what}")
    if host.get("CpusetCpus"):
        available = _online_cpus()
        wanted = _cpuset(host["CpusetCpus"])
        if available and not wanted <= available:
            raise InvalidArgument(f"Requested CPUs are not available - requested "
                                  f"{host['CpusetCpus']}, available: {_online_text()}")


def _cpuset_ok(text: str) -> bool:
    try:
        _cpuset(text)
    except ValueError:
        return False
    return True


def _cpuset(text: str) -> set[int]:
    out: set[int] = set()
    for part in text.split(","):
        low, sep, high = part.partition("-")
        lo, hi = int(low), int(high) if sep else int(low)
        if lo < 0 or hi < lo:
            raise ValueError(text)
        out.update(range(lo, hi + 1))
    return out


def _online_text() -> str:
    try:
        with open("/sys/devices/system/cpu/online", encoding="ascii") as f:
            return f.read().strip()
    except OSError:
        return ""


def _online_cpus() -> set[int]:
    text = _online_text()
    return _cpuset(text) if text else set()


def parse_ulimit(text: str) -> dict[str, Any]:
    """go-units ParseUlimit: NAME=SOFT[:HARD] → {"Name", "Hard", "Soft"}."""
    name, sep, value = text.partition("=")
    if not sep:
        raise InvalidArgument(f"invalid ulimit argument: {text}")
    if name not in _ULIMITS:
        raise InvalidArgument(f"invalid ulimit type: {name}")
    soft_text, sep, hard_text = value.partition(":")
    try:
        soft = int(soft_text)
        hard = int(hard_text) if sep else soft
    except ValueError:
        raise InvalidArgument(f"invalid ulimit argument: {text}") from None
    if soft > hard:
        raise InvalidArgument(f"ulimit soft limit must be less than or equal to hard limit: "
                              f"{soft} > {hard}")
    return {"Name": name, "Hard": hard, "Soft": soft}


def parse_device(text: str) -> dict[str, str]:
    """docker's --device HOST[:CONTAINER][:PERMISSIONS]."""
    parts = text.split(":")
    perms = "rwm"
    if len(parts) == 3 or (len(parts) == 2 and not parts[1].startswith("/")):
        perms = parts.pop()
        if not _perms_ok(perms):
            raise InvalidArgument(f"bad mode specified: {perms}")
    if len(parts) > 2 or not parts[0]:
        raise InvalidArgument(f"invalid device specification: {text}")
    host = parts[0]
    container = parts[1] if len(parts) == 2 else host
    if not container.startswith("/"):
        raise InvalidArgument(f"{container} is not an absolute path")
    return {"PathOnHost": host, "PathInContainer": container, "CgroupPermissions": perms}


def _perms_ok(mode: str) -> bool:
    return bool(mode) and len(mode) <= 3 and all(c in "rwm" for c in mode) and \
        len(set(mode)) == len(mode)


def _ipc(mode: str) -> str:
    if mode in ("", "private", "shareable", "host", "none") or \
            (mode.startswith("container:") and mode != "container:"):
        return mode or "private"
    raise InvalidArgument(f"Invalid IPC mode: {mode}")


def _pid(mode: str) -> str:
    if mode in ("", "host") or (mode.startswith("container:") and mode != "container:"):
        return mode
    raise InvalidArgument("--pid: invalid PID mode")


def _uts(opts: CreateOptions) -> str:
    if opts.uts not in ("", "host"):
        raise InvalidArgument("--uts: invalid UTS mode")
    if opts.uts == "host" and opts.hostname:
        raise InvalidArgument("Conflicting options: hostname and the UTS mode")
    return str(opts.uts)


def sysctls(items: dict[str, str], network: str) -> dict[str, str]:
    """docker's opts.ValidateSysctl (namespaced sysctls only) and the daemon's host-network
    rule."""
    for key in items:
        if not (key in _IPC_SYSCTLS or key.startswith(("fs.mqueue.", "net."))):
            raise InvalidArgument(f"sysctl '{key}' is not allowed")
        if key.startswith("net.") and network == "host":
            raise InvalidArgument(f"sysctl {key!r} not allowed in host network namespace")
    return dict(items)


def tmpfs(items: list[str] | dict[str, str]) -> dict[str, str]:
    """--tmpfs PATH[:OPTIONS] → HostConfig.Tmpfs {PATH: OPTIONS}."""
    pairs = items.items() if isinstance(items, dict) else \
        (tuple(item.split(":", 1)) if ":" in item else (item, "") for item in items)
    out = {}
    for path, opts in pairs:
        if not path.startswith("/"):
            raise InvalidArgument(f"invalid mount path for --tmpfs: {path!r} is not absolute")
        out[path] = opts
    return out


def namespace_paths(host: dict[str, Any], pid_of: Any) -> dict[str, str]:
    """ipc/pid/uts namespaces to join: "" for the host's, /proc/PID/ns/KIND for
    container:NAME (`pid_of(name)` the running container's init pid)."""
    out: dict[str, str] = {}
    for kind, key in (("ipc", "IpcMode"), ("pid", "PidMode"), ("uts", "UTSMode")):
        mode = host.get(key) or ""
        if mode == "host":
            out[kind] = ""
        elif mode.startswith("container:"):
            out[kind] = f"/proc/{pid_of(mode.removeprefix('container:'))}/ns/{kind}"
    return out


def ulimits_of(host: dict[str, Any]) -> tuple[Any, ...]:
    """HostConfig.Ulimits as the runtime's Ulimit records."""
    from scow.runtime.spec import Ulimit

    return tuple(Ulimit(u["Name"], int(u["Soft"]), int(u["Hard"]))
                 for u in host.get("Ulimits") or ())
