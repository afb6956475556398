"""owns: reading a container's resource counters from its cgroups (what `docker stats` shows):
CPU time, memory usage and limit, block I/O, PIDs, for cgroup v1 and v2 by one code path,
and the network counters of the container's network namespace.

Where the files are (read only; runc creates and removes the cgroups)::

    /proc/<pid>/cgroup                        "N:controller[,controller]:/path" (v1),
                                              "0::/path" (v2)
    <mount>/<controller>/<path>/ (v1)         cpuacct.usage, memory.usage_in_bytes,
                                              memory.limit_in_bytes, memory.stat,
                                              blkio.*io_service_bytes*, pids.current
    <mount>/<path>/ (v2)                      cpu.stat, memory.current, memory.max,
                                              memory.stat, io.stat, pids.current
    /proc/<pid>/net/dev                       the netns' interfaces (lo left out, as docker)
    /proc/stat, /proc/meminfo                 the host's CPU time and memory

Each version maps its files onto the same `Sample`; tests feed recorded cgroup folders.
"""

from __future__ import annotations

import os
from typing import NamedTuple

MOUNT = "/sys/fs/cgroup"
V1_CONTROLLERS = ("cpuacct", "memory", "blkio", "pids")
_UNLIMITED = 1 << 62  # v1 writes 9223372036854771712 for "no limit"


class Sample(NamedTuple):
    """One reading of a container's counters (bytes, nanoseconds)."""

    cpu_ns: int
    memory: int  # usage minus inactive file cache, as docker's CLI computes it
    memory_limit: int  # the cgroup's limit, else the host's memory
    block_read: int
    block_write: int
    pids: int
    net_rx: int = 0
    net_tx: int = 0


def cgroup_dirs(pid: int, mount: str = MOUNT, proc: str = "/proc") -> dict[str, str]:
    """controller → folder of `pid`'s cgroup; {"": folder} on a pure cgroup v2 host."""
    with open(os.path.join(proc, str(pid), "cgroup")) as f:
        lines = f.read().splitlines()
    v2 = os.path.exists(os.path.join(mount, "cgroup.controllers"))
    out = {}
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if v2 and controllers == "":
            return {"": os.path.join(mount, path.lstrip("/"))}
        for name in controllers.split(","):
            if name in V1_CONTROLLERS:
                out[name] = os.path.join(mount, name, path.lstrip("/"))
    return out


def read_sample(dirs: dict[str, str], host_memory: int) -> Sample:
    """The counters in the cgroup folders `dirs` (from cgroup_dirs, or recorded ones)."""
    if "" in dirs:
        return _read_v2(dirs[""], host_memory)
    return _read_v1(dirs, host_memory)


def _read_v1(dirs: dict[str, str], host_memory: int) -> Sample:
    mem = dirs.get("memory", "")
    usage = _int(mem, "memory.usage_in_bytes")
    stat = _keyed(mem, "memory.stat")
    inactive = stat.get("total_inactive_file", 0)
    limit = _int(mem, "memory.limit_in_bytes") or _UNLIMITED
    read, write = _blkio_v1(dirs.get("blkio", ""))
    return Sample(cpu_ns=_int(dirs.get("cpuacct", ""), "cpuacct.usage"),
                  memory=usage - inactive if inactive < usage else usage,
                  memory_limit=min(limit, host_memory) if host_memory else limit,
                  block_read=read, block_write=write, pids=_int(dirs.get("pids", ""),
                                                                "pids.current"))


def _read_v2(folder: str, host_memory: int) -> Sample:
    usage = _int(folder, "memory.current")
    inactive = _keyed(folder, "memory.stat").get("inactive_file", 0)
    limit = _int(folder, "memory.max") or _UNLIMITED
    read = write = 0
    for line in _lines(folder, "io.stat"):
        fields = dict(f.split("=", 1) for f in line.split()[1:] if "=" in f)
        read += int(fields.get("rbytes", 0))
        write += int(fields.get("wbytes", 0))
    return Sample(cpu_ns=_keyed(folder, "cpu.stat").get("usage_usec", 0) * 1000,
                  memory=usage - inactive if inactive < usage else usage,
                  memory_limit=min(limit, host_memory) if host_memory else limit,
                  block_read=read, block_write=write, pids=_int(folder, "pids.current"))


def _blkio_v1(folder: str) -> tuple[int, int]:
    """Read and Write bytes: docker's io_service_bytes_recursive, else the throttle files
    (what the kernel fills when no I/O scheduler accounts)."""
    for name in ("blkio.io_service_bytes_recursive", "blkio.throttle.io_service_bytes_recursive",
                 "blkio.throttle.io_service_bytes"):
        lines = [line.split() for line in _lines(folder, name)]
        rows = [f for f in lines if len(f) == 3]
        if rows:
            read = sum(int(f[2]) for f in rows if f[1].lower() == "read")
            write = sum(int(f[2]) for f in rows if f[1].lower() == "write")
            return read, write
    return 0, 0


def net_io(pid: int, proc: str = "/proc") -> tuple[int, int]:
    """(received, sent) bytes over the interfaces of `pid`'s network namespace but lo."""
    rx = tx = 0
    for line in _lines(os.path.join(proc, str(pid), "net"), "dev")[2:]:
        name, _, counters = line.partition(":")
        fields = counters.split()
        if name.strip() == "lo" or len(fields) < 9:
            continue
        rx += int(fields[0])
        tx += int(fields[8])
    return rx, tx


def host_cpu_ns(proc: str = "/proc") -> int:
    """The host's CPU time (docker's system_cpu_usage): the `cpu` line of /proc/stat, in ns."""
    ticks = os.sysconf("SC_CLK_TCK")
    for line in _lines(proc, "stat"):
        if line.startswith("cpu "):
            return sum(int(v) for v in line.split()[1:8]) * 1_000_000_000 // ticks
    return 0


def host_memory(proc: str = "/proc") -> int:
    """MemTotal of /proc/meminfo in bytes (the limit docker shows when none is set)."""
    for line in _lines(proc, "meminfo"):
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    return 0


def _lines(folder: str, name: str) -> list[str]:
    try:
        with open(os.path.join(folder, name)) as f:
            return f.read().splitlines()
    except (FileNotFoundError, NotADirectoryError, ProcessLookupError):
        return []  # a controller that is not there, or the container just exited


def _int(folder: str, name: str) -> int:
    lines = _lines(folder, name)
    text = lines[0].strip() if lines else ""
    return int(text) if text.isdigit() else 0


def _keyed(folder: str, name: str) -> dict[str, int]:
    out = {}
    for line in _lines(folder, name):
        key, _, value = line.partition(" ")
        if value.strip().isdigit():
            out[key] = int(value)
    return out
