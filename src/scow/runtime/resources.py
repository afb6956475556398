"""owns: a container's cgroup resources and runtime extras in the OCI spec, from its
HostConfig (moby's daemon/oci_linux.go): ``linux.resources`` (memory, cpu, pids, blockIO and
`--device` rules), `--device` nodes, `--sysctl`, `--tmpfs`, `--shm-size`, `--ipc`/`--pid`/
`--uts` namespaces and `--init` (Debian's tini bound read-only at /sbin/docker-init, PID 1
with ``--``); what this host's cgroups cannot apply is refused (`check_host`), never ignored;
`runc update` of a running container's resources; the OOM kill count of its memory cgroup.

Host cgroups (v1 here: one hierarchy per controller; v2: one unified tree)::

    /sys/fs/cgroup/<controller>/<file>    v1, e.g. memory/memory.memsw.limit_in_bytes
    /sys/fs/cgroup/cgroup.controllers     v2
"""

from __future__ import annotations

import os

from scow.errors import InvalidArgument, Unsupported
from scow.fastjson import dumps

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any

CGROUP = "/sys/fs/cgroup"
INIT_PATH = "/sbin/docker-init"
TINI = "/usr/bin/tini-static"  # Debian's tini; static: any image can run it (docker-init)
CFS_PERIOD = 100000
# HostConfig field → (v1 controller file, v2 controller, docker's name of what is missing)
_NEEDS = {
    "Memory": ("memory/memory.limit_in_bytes", "memory", "memory limit"),
    "MemoryReservation": ("memory/memory.soft_limit_in_bytes", "memory", "memory reservation"),
    "OomKillDisable": ("memory/memory.oom_control", "", "OOM killer disable"),
    "CpuShares": ("cpu/cpu.shares", "cpu", "CPU shares"),
    "NanoCpus": ("cpu/cpu.cfs_quota_us", "cpu", "CPU CFS scheduler period/quota (--cpus)"),
    "CpuPeriod": ("cpu/cpu.cfs_period_us", "cpu", "CPU CFS scheduler period"),
    "CpuQuota": ("cpu/cpu.cfs_quota_us", "cpu", "CPU CFS scheduler quota"),
    "CpusetCpus": ("cpuset/cpuset.cpus", "cpuset", "cpuset"),
    "CpusetMems": ("cpuset/cpuset.mems", "cpuset", "cpuset"),
    "PidsLimit": ("pids/tasks", "pids", "PIDs limit"),  # the root has no pids.max
    "BlkioWeight": ("blkio/blkio.weight", "io", "Block I/O weight"),
}


def _v2_controllers(root: str) -> set[str] | None:
    try:
        with open(os.path.join(root, "cgroup.controllers"), encoding="ascii") as f:
            return set(f.read().split())
    except OSError:
        return None


def check_host(host: dict[str, Any], root: str = CGROUP) -> None:
    """Refuse each resource of `host` this machine's cgroups cannot apply (one line)."""
    if not any(host.get(key) for key in (*_NEEDS, "MemorySwap")):
        return  # nothing asked for: no cgroup file read (create's start-up)
    v2 = _v2_controllers(root)
    for key, (v1_file, v2_name, what) in _NEEDS.items():
        if not host.get(key) or (key == "PidsLimit" and host[key] <= 0):
            continue
        ok = (v2_name != "" and v2_name in v2) if v2 is not None else \
            os.path.exists(os.path.join(root, v1_file))
        if not ok:
            raise Unsupported(f"create container: this kernel does not support {what} or the "
                              "cgroup is not mounted")
    swap = host.get("MemorySwap") or 0
    if swap > 0 and swap != host.get("Memory") and v2 is None and \
            not os.path.exists(os.path.join(root, "memory/memory.memsw.limit_in_bytes")):
        raise Unsupported("create container: this kernel does not support swap limit "
                          "capabilities or the cgroup is not mounted")


def linux_resources(host: dict[str, Any]) -> dict[str, Any]:
    """The OCI ``linux.resources`` memory/cpu/pids/blockIO sections of `host` (only what is
    set, as moby: a zero means "not set")."""
    memory = {k: v for k, v in (("limit", host.get("Memory")),
                                ("reservation", host.get("MemoryReservation")),
                                ("swap", host.get("MemorySwap"))) if v}
    if host.get("OomKillDisable"):
        memory["disableOOMKiller"] = True
    cpu: dict[str, Any] = {k: v for k, v in (("shares", host.get("CpuShares")),
                                             ("quota", host.get("CpuQuota")),
                                             ("period", host.get("CpuPeriod")),
                                             ("cpus", host.get("CpusetCpus")),
                                             ("mems", host.get("CpusetMems"))) if v}
    if host.get("NanoCpus"):
        cpu["period"] = CFS_PERIOD
        cpu["quota"] = host["NanoCpus"] * CFS_PERIOD // 1_000_000_000
    out: dict[str, Any] = {}
    if memory:
        out["memory"] = memory
    if cpu:
        out["cpu"] = cpu
    if host.get("PidsLimit") and host["PidsLimit"] > 0:
        out["pids"] = {"limit": host["PidsLimit"]}
    if host.get("BlkioWeight"):
        out["blockIO"] = {"weight": host["BlkioWeight"]}
    return out


# moby's opts.ValidateDeviceCgroupRule
_DEVICE_RULE = r"^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$"


def device_rule(rule: str) -> tuple[str, str, str, str] | None:
    """`c 7:128 rwm` split into (kind, major, minor, access); None when it is not a rule
    (`re` loads only for --device-cgroup-rule)."""
    import re

    m = re.match(_DEVICE_RULE, rule)
    return None if m is None else (m[1], m[2], m[3], m[4])


def cgroup_options(linux: dict[str, Any], host: dict[str, Any]) -> None:
    """HostConfig's CgroupnsMode, DeviceCgroupRules and MemorySwappiness into `linux`."""
    if host.get("CgroupnsMode") == "private":
        linux["namespaces"].append({"type": "cgroup"})
    for rule in host.get("DeviceCgroupRules") or ():
        kind, major, minor, access = device_rule(rule)  # type: ignore[misc]
        entry: dict[str, Any] = {"allow": True, "type": kind, "access": access}
        entry.update({k: int(v) for k, v in (("major", major), ("minor", minor)) if v != "*"})
        linux["resources"]["devices"].append(entry)
    if host.get("MemorySwappiness") is not None:
        linux["resources"].setdefault("memory", {})["swappiness"] = host["MemorySwappiness"]


def apply_host(spec: dict[str, Any], host: dict[str, Any], namespaces: dict[str, str]) -> None:
    """Put `host`'s resources, devices, sysctls, tmpfs, shm size and init into `spec`
    (made by spec.make_spec); `namespaces` maps ipc/pid/uts to a namespace path to join, or
    "" for the host's (no namespace of its own)."""
    linux = spec["linux"]
    linux["resources"].update(linux_resources(host))
    cgroup_options(linux, host)
    for kind, path in namespaces.items():
        linux["namespaces"] = [n for n in linux["namespaces"] if n["type"] != kind] + \
            ([{"type": kind, "path": path}] if path else [])
    if host.get("Devices"):
        linux.setdefault("devices", [])
        for dev in host["Devices"]:
            node, rule = device(dev)
            linux["devices"].append(node)
            linux["resources"]["devices"].append(rule)
    if host.get("Sysctls"):
        linux["sysctl"] = dict(host["Sysctls"])
    _mounts(spec, host, namespaces)
    if namespaces.get("uts") == "":
        spec["hostname"] = ""  # the host's UTS namespace: runc may not set a hostname
    if host.get("Init"):
        if not os.path.exists(TINI):
            raise Unsupported(f"start container: --init needs {TINI} (install Debian's tini)")
        spec["mounts"].append({"destination": INIT_PATH, "type": "bind", "source": TINI,
                               "options": ["bind", "ro"]})
        spec["process"]["args"] = [INIT_PATH, "--", *spec["process"]["args"]]


def _mounts(spec: dict[str, Any], host: dict[str, Any], namespaces: dict[str, str]) -> None:
    mounts = spec["mounts"]
    shm = next(m for m in mounts if m["destination"] == "/dev/shm")
    ipc = host.get("IpcMode") or "private"
    if ipc == "none":
        mounts.remove(shm)
    elif ipc == "host":
        shm.update(type="bind", source="/dev/shm", options=["rbind", "rprivate"])
    elif host.get("ShmSize"):
        shm["options"] = [o for o in shm["options"] if not o.startswith("size=")] + \
            [f"size={host['ShmSize'] // 1024}k"]
    for dest, opts in (host.get("Tmpfs") or {}).items():
        extra = [o for o in opts.split(",") if o]
        mounts.append({"destination": dest, "type": "tmpfs", "source": "tmpfs",
                       "options": ["noexec", "nosuid", "nodev", *extra]})


def device(dev: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(linux.devices node, cgroup rule) of a HostConfig Devices entry."""
    import stat

    try:
        st = os.stat(dev["PathOnHost"])
    except OSError as exc:
        raise InvalidArgument(f"error gathering device information while adding custom "
                              f"device {dev['PathOnHost']!r}: {exc.strerror}") from None
    kind = "c" if stat.S_ISCHR(st.st_mode) else "b" if stat.S_ISBLK(st.st_mode) else ""
    if not kind:
        raise InvalidArgument(f"error gathering device information while adding custom "
                              f"device {dev['PathOnHost']!r}: not a device node")
    major, minor = os.major(st.st_rdev), os.minor(st.st_rdev)
    node = {"path": dev["PathInContainer"], "type": kind, "major": major, "minor": minor,
            "fileMode": stat.S_IMODE(st.st_mode), "uid": st.st_uid, "gid": st.st_gid}
    rule = {"allow": True, "type": kind, "major": major, "minor": minor,
            "access": dev.get("CgroupPermissions") or "rwm"}
    return node, rule


def update(runc_argv: list[str], container_id: str, host: dict[str, Any], *,
           pids_unlimited: bool = False) -> None:
    """`runc update` of a running container to `host`'s memory/cpu/pids/blockIO."""
    doc = linux_resources(host)
    if pids_unlimited:
        doc["pids"] = {"limit": -1}  # runc writes "max"
    import subprocess

    proc = subprocess.run([*runc_argv, "update", "--resources", "-", container_id],
                          input=dumps(doc), capture_output=True, text=True)
    if proc.returncode != 0:
        message = (proc.stderr.strip().splitlines() or ["runc update failed"])[-1]
        raise InvalidArgument(f"update container {container_id[:12]}: {message}")


def oom_killed(container_id: str, root: str = CGROUP) -> bool:
    """Whether the OOM killer killed a process of the container's memory cgroup (v1:
    memory.oom_control's oom_kill; v2: memory.events' oom_kill)."""
    for path, key in ((f"{root}/memory/scow/{container_id}/memory.oom_control", "oom_kill"),
                      (f"{root}/scow/{container_id}/memory.events", "oom_kill")):
        try:
            with open(path, encoding="ascii") as f:
                fields = dict(line.split() for line in f if len(line.split()) == 2)
        except OSError:
            continue
        return int(fields.get(key, "0")) > 0
    return False
