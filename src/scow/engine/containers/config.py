"""owns: how a container's configuration is made from its image and the user's flags
(docker's create: image config merged with the flags), and the JSON document kept for it
(the fields of docker's config.v2.json and hostconfig.json that scow uses; the isolation
fields are checked by security.py); and the monitor's part of it:
``RestartPolicy`` (--restart), ``Config.Healthcheck`` (--health-*, merged over the image's)
and ``LogConfig`` (--log-driver/--log-opt over scow.toml's defaults). docker-py's keyword
arguments for the same options are pyargs.py."""

from __future__ import annotations

from scow.errors import InvalidArgument

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from dataclasses import dataclass, field
    from typing import Any
else:
    from scow.typeshim import dataclass, field

DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True, slots=True)
class CreateOptions:
    image: str
    cmd: list[str] | None = None
    entrypoint: list[str] | None = None  # [] resets the image's entrypoint
    name: str | None = None
    env: list[str] = field(default_factory=list)
    workdir: str = ""
    user: str = ""
    tty: bool = False
    stdin_open: bool = False
    hostname: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    network: str = "bridge"
    network_aliases: list[str] = field(default_factory=list)
    ip: str = ""  # --ip: the address on a user network
    mac_address: str = ""
    publish: list[str] = field(default_factory=list)  # -p specs
    publish_all: bool = False
    dns: list[str] = field(default_factory=list)
    dns_search: list[str] = field(default_factory=list)
    dns_options: list[str] = field(default_factory=list)
    add_hosts: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)  # -v specs
    mounts: list[str] = field(default_factory=list)  # --mount specs
    auto_remove: bool = False
    log_opts: dict[str, str] = field(default_factory=dict)
    log_driver: str = ""  # --log-driver; "": scow.toml's log-driver, else json-file
    stop_signal: str = ""
    stop_timeout: int | None = None
    read_only: bool = False
    group_add: list[str] = field(default_factory=list)
    cap_add: list[str] = field(default_factory=list)
    cap_drop: list[str] = field(default_factory=list)
    privileged: bool = False
    security_opt: list[str] = field(default_factory=list)
    # resources and runtime flags (HostConfig fields made in engine/containers/resources.py)
    memory: int = 0  # bytes (--memory)
    memory_swap: int = 0  # bytes, -1 unlimited (--memory-swap)
    memory_reservation: int = 0
    kernel_memory: int = 0  # refused: deprecated
    nano_cpus: int = 0  # --cpus * 1e9
    cpu_shares: int = 0
    cpu_period: int = 0
    cpu_quota: int = 0
    cpuset_cpus: str = ""
    cpuset_mems: str = ""
    pids_limit: int | None = None
    oom_kill_disable: bool | None = None
    blkio_weight: int = 0
    ulimits: list[Any] = field(default_factory=list)  # "nofile=1024:2048" or docker's dicts
    shm_size: int | None = None  # bytes (docker's default 64 MiB)
    sysctls: dict[str, str] = field(default_factory=dict)
    tmpfs: list[str] = field(default_factory=list)  # PATH[:OPTIONS]
    devices: list[str] = field(default_factory=list)  # HOST[:CONTAINER[:rwm]]
    ipc: str = ""  # private | shareable | host | none | container:NAME
    pid: str = ""  # host | container:NAME
    uts: str = ""  # host
    init: bool | None = None
    restart: str = ""  # --restart no|always|unless-stopped|on-failure[:N]
    health: HealthOptions | None = None  # --health-*, --no-healthcheck
    # cgroup and platform fields (HostConfig fields made in engine/containers/cgroupns.py)
    isolation: str = ""  # "" or "default" (the only isolation on Linux)
    volume_driver: str = ""  # the default driver of the container's volumes
    cgroupns: str = ""  # private | host ("": the host's, as dockerd on cgroup v1)
    device_cgroup_rules: list[str] = field(default_factory=list)  # "c 7:128 rwm"
    memory_swappiness: int | None = None  # 0..100


@dataclass(frozen=True, slots=True)
class HealthOptions:
    """docker's --health-* flags (durations in seconds; 0 = the image's, else docker's
    default) and --no-healthcheck."""

    cmd: str = ""
    interval: float = 0.0
    timeout: float = 0.0
    start_period: float = 0.0
    start_interval: float = 0.0
    retries: int = 0
    disable: bool = False
    test: tuple[str, ...] = ()  # the Engine API's Config.Healthcheck.Test, as given


def healthcheck(health: HealthOptions | None, image: dict[str, Any]) -> dict[str, Any] | None:
    """Config.Healthcheck: the flags (docker's CLI checks) over the image's HEALTHCHECK, a
    field left 0 taken from the image (dockerd's merge)."""
    base = image.get("Healthcheck") or None
    if health is None:
        return dict(base) if base else None
    durations = {"Interval": health.interval, "Timeout": health.timeout,
                 "StartPeriod": health.start_period, "StartInterval": health.start_interval}
    given = bool(health.cmd or health.test) or health.retries != 0 or \
        any(durations.values())
    if health.disable:
        if given:
            raise InvalidArgument("--no-healthcheck conflicts with --health-* options")
        return {"Test": ["NONE"]}
    if not given:
        return dict(base) if base else None
    flags = {"Interval": "interval", "Timeout": "timeout", "StartPeriod": "start-period",
             "StartInterval": "start-interval"}
    for key, value in durations.items():
        if value < 0:
            raise InvalidArgument(f"--health-{flags[key]} cannot be negative")
    if health.retries < 0:
        raise InvalidArgument("--health-retries cannot be negative")
    test = list(health.test) or (["CMD-SHELL", health.cmd] if health.cmd else None)
    out: dict[str, Any] = {"Test": test,
                           **{k: int(round(v * 1e9)) for k, v in durations.items()},
                           "Retries": health.retries}
    for key, value in (base or {}).items():
        if not out.get(key):
            out[key] = value
    if not out["Test"]:
        out.pop("Test")
    return out


def merge_env(base: list[str], extra: list[str]) -> list[str]:
    """Image env then flags; a later KEY replaces an earlier one in place (docker)."""
    out: list[str] = []
    index: dict[str, int] = {}
    for item in base + extra:
        key = item.split("=", 1)[0]
        if key in index:
            out[index[key]] = item
        else:
            index[key] = len(out)
            out.append(item)
    return out


def container_config(opts: CreateOptions, image: dict[str, Any], container_id: str
                     ) -> dict[str, Any]:
    """docker's container Config for `opts` on an image whose config is `image`."""
    entrypoint = image.get("Entrypoint") or None
    cmd = image.get("Cmd") or None
    if opts.entrypoint is not None:
        entrypoint = [e for e in opts.entrypoint if e] or None
        cmd = None  # a new entrypoint resets the image's CMD
    if opts.cmd:
        cmd = list(opts.cmd)
    if not (entrypoint or cmd):
        raise InvalidArgument("no command specified")
    env = merge_env(list(image.get("Env") or [DEFAULT_PATH]), opts.env)
    labels = dict(image.get("Labels") or {})
    labels.update(opts.labels)
    return {
        "Hostname": opts.hostname or container_id[:12],
        "Domainname": "",
        "User": opts.user or image.get("User") or "",
        "AttachStdin": opts.stdin_open and not opts.tty,
        "AttachStdout": True,
        "AttachStderr": True,
        "ExposedPorts": _exposed(image, opts),
        "Tty": opts.tty,
        "OpenStdin": opts.stdin_open,
        "StdinOnce": False,
        "Env": env,
        "Cmd": cmd,
        **_health_field(opts, image),
        "Image": opts.image,
        "Volumes": image.get("Volumes") or None,
        "WorkingDir": opts.workdir or image.get("WorkingDir") or "",
        "Entrypoint": entrypoint,
        "OnBuild": image.get("OnBuild") or None,
        "Labels": labels,
        "StopSignal": opts.stop_signal or image.get("StopSignal") or None,
        "StopTimeout": opts.stop_timeout,
        **({"MacAddress": _mac(opts.mac_address)} if opts.mac_address else {}),
    }


def _health_field(opts: CreateOptions, image: dict[str, Any]) -> dict[str, Any]:
    check = healthcheck(opts.health, image)
    return {"Healthcheck": check} if check else {}


def _mac(value: str) -> str:
    """--mac-address: six hex pairs, unicast."""
    import re

    if not re.fullmatch(r"[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}", value) or \
            int(value[:2], 16) & 1:
        raise InvalidArgument(f"{value} is not a valid mac address")
    return value.lower()


def _exposed(image: dict[str, Any], opts: CreateOptions) -> dict[str, Any] | None:
    """The image's EXPOSE ports plus every published one (docker)."""
    out = dict(image.get("ExposedPorts") or {})
    out.update({k: {} for k in _port_bindings(opts)})
    return out or None


def _port_bindings(opts: CreateOptions) -> dict[str, list[dict[str, str]]]:
    """PortBindings of the -p flags; without any, the parser (and its socket and ipaddress
    imports) is not loaded: most creates publish nothing."""
    if not opts.publish:
        return {}
    from scow.network.ports import parse_publish

    return parse_publish(opts.publish)


def _extra_hosts(items: list[str]) -> list[str] | None:
    """--add-host HOST:IP (or HOST=IP), checked."""
    if not items:
        return None  # ipaddress only when there is an address to check (start-up)
    import ipaddress

    out = []
    for item in items:
        sep = "=" if "=" in item else ":"
        name, found, ip = item.partition(sep)
        ip = ip.strip("[]")
        if not (found and name):
            raise InvalidArgument(f"invalid argument {item!r} for \"--add-host\" flag: bad "
                                  "format for add-host")
        if ip != "host-gateway":
            try:
                ipaddress.ip_address(ip)
            except ValueError:
                raise InvalidArgument(f"invalid argument {item!r} for \"--add-host\" flag: "
                                      f"invalid IP address in add-host: {ip!r}") from None
        out.append(f"{name}:{ip}")
    return out or None


def _dns(servers: list[str]) -> list[str]:
    """--dns: IP addresses only (each becomes a resolv.conf line)."""
    if not servers:
        return []  # ipaddress (its constants are built on import) is not loaded
    import ipaddress

    for server in servers:
        try:
            ipaddress.ip_address(server)
        except ValueError:
            raise InvalidArgument(f"{server!r} is not an ip address (--dns)") from None
    return list(servers)


def _words(items: list[str], flag: str) -> list[str]:
    """--dns-search/--dns-option: one printable word each (no line of their own in
    resolv.conf)."""
    for item in items:
        if not item or not item.isprintable() or any(c.isspace() for c in item):
            raise InvalidArgument(f"invalid --{flag} value {item!r}")
    return list(items)


def network_host_config(opts: CreateOptions) -> dict[str, Any]:
    """The network fields of HostConfig."""
    mode = "bridge" if opts.network in ("", "default") else opts.network
    return {"NetworkMode": mode,
            "PortBindings": _port_bindings(opts) or None,
            "PublishAllPorts": opts.publish_all, "Dns": _dns(opts.dns) or None,
            "DnsSearch": _words(opts.dns_search, "dns-search") or None,
            "DnsOptions": _words(opts.dns_options, "dns-option") or None,
            "ExtraHosts": _extra_hosts(opts.add_hosts)}


def host_config(opts: CreateOptions, logging: dict[str, Any]) -> dict[str, Any]:
    """The HostConfig of `opts`, its LogConfig `logging` (log_config's answer)."""
    from scow.engine.containers.cgroupns import cgroup_host_config
    from scow.engine.containers.resources import resources_host_config

    cap_add, cap_drop, security_opt = _security(opts)
    return {
        "Binds": list(opts.volumes) or None,
        "LogConfig": logging,
        **network_host_config(opts),  # scow network: NetworkMode, PortBindings, Dns...
        "RestartPolicy": restart_policy(opts),
        "AutoRemove": opts.auto_remove,
        "GroupAdd": list(opts.group_add) or None,
        "CapAdd": cap_add or None,
        "CapDrop": cap_drop or None,
        "Privileged": opts.privileged,
        "SecurityOpt": security_opt or None,
        "ReadonlyRootfs": opts.read_only,
        "Mounts": list(opts.mounts) or None,
        "Runtime": "runc",
        **resources_host_config(opts),  # Memory, NanoCpus, Ulimits, ShmSize, IpcMode...
        **cgroup_host_config(opts),  # Isolation, VolumeDriver, CgroupnsMode, ...
    }


def _security(opts: CreateOptions) -> tuple[list[str], list[str], list[str]]:
    """CapAdd, CapDrop and SecurityOpt checked; none asked for loads none of their modules."""
    if not (opts.cap_add or opts.cap_drop or opts.security_opt):
        return [], [], []
    from scow.engine.containers.security import security_opts
    from scow.runtime.capabilities import container_caps, normalize

    cap_add, cap_drop = normalize(opts.cap_add, "CapAdd"), normalize(opts.cap_drop, "CapDrop")
    return cap_add, cap_drop, security_opts(
        opts.security_opt, container_caps(cap_add, cap_drop, privileged=opts.privileged))


def log_config(opts: CreateOptions, default_driver: str, default_opts: dict[str, str]
               ) -> dict[str, Any]:
    """HostConfig.LogConfig: the driver and options asked for, scow.toml's `log-driver` (and
    its `log-opts` under options not given, for that driver only) otherwise; checked as
    dockerd's mergeAndVerifyLogConfig."""
    default = default_driver or "json-file"
    driver = opts.log_driver or default
    config = dict(opts.log_opts)
    if driver == default:
        config = {**default_opts, **config}
    if driver != "json-file" or config:  # json-file without options: nothing to check
        from scow.runtime.logdriver import check_log_config

        check_log_config(driver, config)
    return {"Type": driver, "Config": config}


def restart_policy(opts: CreateOptions) -> dict[str, Any]:
    """HostConfig.RestartPolicy from --restart (docker's checks; none with --rm)."""
    if opts.restart in ("", "no"):  # docker's default: nothing to parse (start-up)
        return {"Name": "no", "MaximumRetryCount": 0}
    from scow.runtime.restart import parse_policy

    policy = parse_policy(opts.restart)
    if opts.auto_remove and policy["Name"] != "no":
        raise InvalidArgument("Conflicting options: --restart and --rm")
    return policy


def command_of(config: dict[str, Any]) -> tuple[str, list[str]]:
    """(Path, Args) of the container's process."""
    argv = list(config.get("Entrypoint") or []) + list(config.get("Cmd") or [])
    return argv[0], argv[1:]
