"""owns: the OCI runtime spec (config.json) scow writes for a container, docker's defaults.

Layout of a container folder (the engine creates the folder; the rootfs is mounted elsewhere):
    <container_dir>/config.json     the OCI bundle config (root.path = the mounted rootfs)
    <container_dir>/hostname        bind-mounted on /etc/hostname
    <container_dir>/hosts           bind-mounted on /etc/hosts
    <container_dir>/resolv.conf     bind-mounted on /etc/resolv.conf

Defaults follow moby's oci/defaults.go and daemon/oci_linux.go: the 14 default capabilities
(runtime/capabilities.py), docker's default seccomp profile (runtime/seccomp.py), masked and
read-only /proc and /sys paths, the cgroup device rules, namespaces pid/ipc/uts/mount and net
(unless `--network host`; `none` is a fresh netns with only lo). `--privileged` is docker's: all
capabilities, no seccomp filter, no masked or read-only paths, /sys and the cgroup mount
writable, every host device with an allow-all device rule. No AppArmor profile is set (scow does
not load AppArmor profiles); rlimits are set only when asked for and never above the current
process's limits (we cannot raise them).
"""

from __future__ import annotations

import os
import stat

from scow.errors import InvalidArgument
from scow.fastjson import dumps, loads
from scow.osutil.atomic import atomic_write
from scow.runtime.capabilities import DEFAULT_CAPS, container_caps
from scow.runtime.etcfiles import host_resolv_conf, write_etc_files  # their home before
from scow.runtime.procenv import process_env
from scow.runtime.seccomp import seccomp_section
from scow.runtime.user import resolve_user

TYPE_CHECKING = False  # mypy honours the name; dataclasses costs start-up (typeshim.py)
if TYPE_CHECKING:
    from dataclasses import dataclass, field
else:
    from scow.typeshim import dataclass, field

_ID_FIRST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_ID_REST = _ID_FIRST | frozenset("_.-")


def _valid_id(text: str) -> bool:
    """runc's container ID rule, `[A-Za-z0-9][A-Za-z0-9_.-]{0,127}` (without `re`)."""
    return 0 < len(text) <= 128 and text[0] in _ID_FIRST and all(c in _ID_REST for c in text)
__all__ = ["DEFAULT_CAPS", "Mount", "RunConfig", "Ulimit", "host_resolv_conf", "make_spec",
           "write_bundle", "write_etc_files"]
MASKED_PATHS = (
    "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
    "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
)
READONLY_PATHS = ("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger")
_ALLOWED_DEVICES = (  # (type, major, minor) with rwm access, as moby's DefaultLinuxSpec
    ("c", 1, 3), ("c", 1, 8), ("c", 1, 7), ("c", 5, 0), ("c", 1, 5), ("c", 1, 9), ("c", 5, 1),
    ("c", 136, None), ("c", 5, 2), ("c", 10, 200),
)
# runc's devices.HostDevices skips these folders of /dev (and /dev/console)
_NOT_DEVICES = frozenset({"pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev"})


@dataclass(frozen=True)
class Mount:
    """A bind (host folder or file, or a named volume's folder) or a tmpfs in the container."""

    destination: str
    source: str = ""
    kind: str = "bind"  # bind | tmpfs
    read_only: bool = False


@dataclass(frozen=True)
class Ulimit:
    name: str  # docker's names: nofile, nproc, core, memlock, stack, fsize...
    soft: int
    hard: int


@dataclass(frozen=True)
class RunConfig:
    """Everything from the image config and the flags that shapes the container's process."""

    container_id: str
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    env: tuple[str, ...] = ()  # image Env already merged with -e by the engine
    user: str = ""
    group_add: tuple[str, ...] = ()
    workdir: str = "/"
    tty: bool = False
    open_stdin: bool = False
    hostname: str = ""
    network: str = "none"  # none | host
    netns: str = ""  # a network namespace to join (scow's bridge networks, container:NAME)
    mounts: tuple[Mount, ...] = ()
    read_only_rootfs: bool = False
    cap_add: tuple[str, ...] = ()
    cap_drop: tuple[str, ...] = ()
    privileged: bool = False
    no_new_privileges: bool = False
    seccomp: str = ""  # "" docker's default profile, "unconfined", or a profile's JSON text
    ulimits: tuple[Ulimit, ...] = ()
    shm_size: int = 64 << 20
    extra: dict[str, str] = field(default_factory=dict)  # reserved (annotations)
    # HostConfig's resources, devices, sysctls, tmpfs, IpcMode, init (runtime/resources.py)
    host_config: dict[str, object] = field(default_factory=dict)
    namespace_paths: dict[str, str] = field(default_factory=dict)  # ipc/pid/uts: path|"" host

    @property
    def argv(self) -> list[str]:
        return [*self.entrypoint, *self.cmd]


def make_spec(cfg: RunConfig, rootfs: str, container_dir: str) -> dict[str, object]:
    """The OCI runtime spec for `cfg`, the rootfs mounted at `rootfs` (absolute)."""
    if not _valid_id(cfg.container_id):
        raise InvalidArgument(f"create container: invalid container id {cfg.container_id!r}")
    if not cfg.argv:
        raise InvalidArgument("create container: no command specified")
    if cfg.network not in ("none", "host"):
        raise InvalidArgument(f"create container: network {cfg.network!r} is not supported")
    user = resolve_user(rootfs, cfg.user)
    gids = list(user.additional_gids) + [_group_id(rootfs, g) for g in cfg.group_add]
    caps = container_caps(cfg.cap_add, cfg.cap_drop, privileged=cfg.privileged)
    process = {
        "terminal": cfg.tty,
        "user": {"uid": user.uid, "gid": user.gid, "additionalGids": gids},
        "args": cfg.argv,
        "env": process_env(cfg.env, hostname=cfg.hostname, tty=cfg.tty, home=user.home),
        "cwd": cfg.workdir or "/",
        "capabilities": _capabilities(caps, user.uid),
        "rlimits": rlimits(cfg.ulimits),
        "noNewPrivileges": cfg.no_new_privileges,
    }
    spec: dict[str, object] = {
        "ociVersion": "1.0.2-dev",
        "process": process,
        "root": {"path": os.path.abspath(rootfs), "readonly": cfg.read_only_rootfs},
        "hostname": cfg.hostname,
        "mounts": _mounts(cfg, container_dir),
        "linux": _linux(cfg, caps),
    }
    if cfg.host_config or cfg.namespace_paths:
        from scow.runtime.resources import apply_host

        apply_host(spec, cfg.host_config, cfg.namespace_paths)
    return spec


def _group_id(rootfs: str, group: str) -> int:
    return resolve_user(rootfs, f"0:{group}").gid


def _capabilities(caps: list[str], uid: int) -> dict[str, list[str]]:
    effective = caps if uid == 0 else []
    return {"bounding": caps, "effective": effective, "permitted": effective}


def rlimits(ulimits: tuple[Ulimit, ...]) -> list[dict[str, object]]:
    """OCI rlimits for `--ulimit`; a hard limit above this process's is refused as runc
    would fail it (an unprivileged runtime cannot raise it), never lowered silently."""
    out: list[dict[str, object]] = []
    if not ulimits:
        return []
    import resource  # only for --ulimit (start-up)

    for u in ulimits:
        kind = f"RLIMIT_{u.name.upper()}"
        number = getattr(resource, kind, None)
        if number is None:
            raise InvalidArgument(f"create container: unknown ulimit {u.name!r}")
        cur_hard = resource.getrlimit(number)[1]
        if cur_hard != resource.RLIM_INFINITY and (u.hard > cur_hard or u.hard < 0) and \
                not _can_raise(number, u.hard):
            raise InvalidArgument(f"create container: error setting rlimit type {number}: "
                                  f"operation not permitted (--ulimit {u.name}: hard limit "
                                  f"{u.hard} is above this host's {cur_hard})")
        out.append({"type": kind, "hard": u.hard, "soft": u.soft})
    return out


def _can_raise(number: int, hard: int) -> bool:
    """Whether this process may raise the hard limit `number` to `hard` (CAP_SYS_RESOURCE
    and, for nofile, fs.nr_open), tried on a child so nothing here changes."""
    import resource

    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child only reports
        try:
            soft = resource.getrlimit(number)[0]
            resource.setrlimit(number, (soft, hard))
        except (OSError, ValueError):
            os._exit(1)
        os._exit(0)
    return os.waitpid(pid, 0)[1] == 0


def _mounts(cfg: RunConfig, container_dir: str) -> list[dict[str, object]]:
    sys_mode = "rw" if cfg.privileged else "ro"
    std: list[dict[str, object]] = [
        _m("/proc", "proc", "proc", ["nosuid", "noexec", "nodev"]),
        _m("/dev", "tmpfs", "tmpfs", ["nosuid", "strictatime", "mode=755", "size=65536k"]),
        _m("/dev/pts", "devpts", "devpts",
           ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
        _m("/sys", "sysfs", "sysfs", ["nosuid", "noexec", "nodev", sys_mode]),
        _m("/sys/fs/cgroup", "cgroup", "cgroup", [sys_mode, "nosuid", "noexec", "nodev"]),
        _m("/dev/mqueue", "mqueue", "mqueue", ["nosuid", "noexec", "nodev"]),
        _m("/dev/shm", "shm", "tmpfs",
           ["nosuid", "noexec", "nodev", "mode=1777", f"size={cfg.shm_size // 1024}k"]),
    ]
    ro = ["ro"] if cfg.read_only_rootfs else []
    for name in ("resolv.conf", "hostname", "hosts"):
        std.append(_m(f"/etc/{name}", os.path.join(container_dir, name), "bind",
                      ["rbind", "rprivate", *ro]))
    for m in cfg.mounts:
        if not m.destination.startswith("/"):
            raise InvalidArgument(f"create container: mount path {m.destination!r} is not absolute")
        if m.kind == "tmpfs":
            std.append(_m(m.destination, "tmpfs", "tmpfs", ["nosuid", "nodev", "noexec"]))
            continue
        opts = ["rbind", "rprivate", "ro" if m.read_only else "rw"]
        std.append(_m(m.destination, os.path.abspath(m.source), "bind", opts))
    return std


def _m(dest: str, source: str, kind: str, options: list[str]) -> dict[str, object]:
    return {"destination": dest, "type": kind, "source": source, "options": options}


def _linux(cfg: RunConfig, caps: list[str]) -> dict[str, object]:
    kinds = ["pid", "ipc", "uts", "mount"] + ([] if cfg.network == "host" else ["network"])
    namespaces: list[dict[str, str]] = [{"type": k} for k in kinds]
    if cfg.netns and cfg.network != "host":
        namespaces[-1]["path"] = cfg.netns
    out: dict[str, object] = {
        "namespaces": namespaces,
        "resources": {"devices": _device_rules(cfg.privileged)},
        "cgroupsPath": f"/scow/{cfg.container_id}",
    }
    if cfg.privileged:
        out["devices"] = host_devices()
        return out
    out["maskedPaths"] = list(MASKED_PATHS)
    out["readonlyPaths"] = list(READONLY_PATHS)
    seccomp = seccomp_section(cfg.seccomp, caps)
    if seccomp is not None:
        out["seccomp"] = seccomp
    return out


def _device_rules(privileged: bool) -> list[dict[str, object]]:
    """The cgroup device rules: allow all when privileged, else moby's default list."""
    if privileged:
        return [{"allow": True, "access": "rwm"}]
    devices: list[dict[str, object]] = [{"allow": False, "access": "rwm"},
                                        {"allow": True, "type": "c", "access": "m"},
                                        {"allow": True, "type": "b", "access": "m"}]
    for kind, major, minor in _ALLOWED_DEVICES:
        rule: dict[str, object] = {"allow": True, "type": kind, "major": major, "access": "rwm"}
        if minor is not None:
            rule["minor"] = minor
        devices.append(rule)
    return devices


def host_devices(top: str = "/dev") -> list[dict[str, object]]:
    """Every character and block device under /dev, as runc's devices.HostDevices finds them
    (what docker gives a privileged container)."""
    out: list[dict[str, object]] = []
    for folder, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if folder != top or d not in _NOT_DEVICES)
        for name in sorted(files):
            path = os.path.join(folder, name)
            if path == os.path.join(top, "console"):
                continue
            try:
                st = os.lstat(path)
            except OSError:
                continue
            kind = "c" if stat.S_ISCHR(st.st_mode) else "b" if stat.S_ISBLK(st.st_mode) else ""
            if kind:
                out.append({"path": path, "type": kind, "major": os.major(st.st_rdev),
                            "minor": os.minor(st.st_rdev), "fileMode": stat.S_IMODE(st.st_mode),
                            "uid": st.st_uid, "gid": st.st_gid})
    return out


def rewrite_resources(container_dir: str, resources: dict[str, object]) -> bool:
    """Replace the memory/cpu/pids/blockIO of linux.resources in <container_dir>/config.json
    by `resources` (its device rules kept), so that the monitor's next run of the container
    (a restart policy's) keeps a `docker update`; False when there is no readable bundle."""
    path = os.path.join(container_dir, "config.json")
    try:
        with open(path, "rb") as f:
            spec = loads(f.read())
        current = spec["linux"]["resources"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    spec["linux"]["resources"] = {"devices": current.get("devices", []), **resources}
    write_bundle(container_dir, spec)
    return True


def write_bundle(container_dir: str, spec: dict[str, object]) -> str:
    """Write `spec` as <container_dir>/config.json atomically; returns the bundle folder.
    Not fsynced (every start writes it again) and not indented (json's C encoder: with an
    indent json encodes in Python, ~2 ms for the seccomp profile)."""
    atomic_write(os.path.join(container_dir, "config.json"), dumps(spec).encode(),
                 0o600, durable=False)  # 0o600: its Env may hold secrets
    return container_dir
