"""owns: POST /containers/create's body (docker's Config + HostConfig + NetworkingConfig)
turned into the library's `CreateOptions`. Every field maps through one table (CONFIG,
HOST_CONFIG); a field that is not in its table is refused with a 400 naming it unless it has
its zero value (the docker CLI sends every field, mostly empty), so nothing is dropped."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scow.engine.containers.config import CreateOptions, HealthOptions
from scow.errors import InvalidArgument

Convert = Callable[[Any], dict[str, Any]]


def _to(option: str) -> Convert:
    return lambda value: {option: value}


def _words(option: str) -> Convert:
    """A list of strings, or a string split as docker-py's create_container does."""
    return lambda value: {option: list(value.split() if isinstance(value, str) else value)}


def _env(value: list[str]) -> dict[str, Any]:
    return {"env": list(value)}


def _volumes(value: dict[str, Any]) -> dict[str, Any]:
    """Config.Volumes {"/data": {}}: anonymous volumes."""
    return {"volumes": list(value)}


def _port_spec(port: str, binding: dict[str, Any] | None) -> str:
    """One PortBindings entry as -p text: `ip:hostPort:port`, `ip::port` for an address
    without a port, `[v6]:…` for an IPv6 address, `hostPort:port`, or `port`."""
    ip, host = (binding or {}).get("HostIp") or "", (binding or {}).get("HostPort") or ""
    if ip:
        return f"[{ip}]:{host}:{port}" if ":" in ip else f"{ip}:{host}:{port}"
    return f"{host}:{port}" if host else port


def _port_bindings(value: dict[str, Any]) -> dict[str, Any]:
    """{"80/tcp": [{"HostIp": "", "HostPort": "8080"}]} → -p specs."""
    return {"publish": [_port_spec(port, b) for port, bindings in value.items()
                        for b in bindings or [{}]]}


def _log_config(value: dict[str, Any]) -> dict[str, Any]:
    """The driver is checked by the library (runtime/logdriver.py); "" is the default."""
    return {"log_driver": value.get("Type") or "", "log_opts": dict(value.get("Config") or {})}


def _healthcheck(value: dict[str, Any]) -> dict[str, Any]:
    """Config.Healthcheck (durations in ns) → HealthOptions; Test ["NONE"] disables."""

    test = [str(w) for w in value.get("Test") or []]
    if test[:1] == ["NONE"]:
        return {"health": HealthOptions(disable=True)}
    if test and test[0] not in ("CMD", "CMD-SHELL"):
        raise InvalidArgument("create container: Config.Healthcheck.Test: unknown kind "
                              f"{test[0]!r}")
    def seconds(key: str) -> float:
        return float(value.get(key) or 0) / 1e9

    return {"health": HealthOptions(
        test=tuple(test), retries=int(value.get("Retries") or 0),
        interval=seconds("Interval"), timeout=seconds("Timeout"),
        start_period=seconds("StartPeriod"), start_interval=seconds("StartInterval"))}


def _restart_policy(value: dict[str, Any]) -> dict[str, Any]:
    """HostConfig.RestartPolicy → --restart NAME[:N] (checked by the library)."""
    name = value.get("Name") or "no"
    retries = value.get("MaximumRetryCount") or 0
    return {"restart": f"{name}:{retries}" if retries else name}


def _tmpfs(value: dict[str, str]) -> dict[str, Any]:
    return {"tmpfs": [f"{path}:{opts}" if opts else path for path, opts in value.items()]}


def _devices(value: list[dict[str, str]]) -> dict[str, Any]:
    """[{"PathOnHost", "PathInContainer", "CgroupPermissions"}] → HOST:CONTAINER:rwm."""
    return {"devices": [":".join((d["PathOnHost"], d.get("PathInContainer") or d["PathOnHost"],
                                  d.get("CgroupPermissions") or "rwm")) for d in value]}


def _pids_limit(value: int) -> dict[str, Any]:
    return {"pids_limit": value if value > 0 else None}


def _mounts(value: list[dict[str, Any]]) -> dict[str, Any]:
    """HostConfig.Mounts objects → --mount specs."""
    specs = []
    for m in value:
        parts = [f"type={m.get('Type') or 'volume'}"]
        if m.get("Source"):
            parts.append(f"source={m['Source']}")
        parts.append(f"target={m.get('Target', '')}")
        if m.get("ReadOnly"):
            parts.append("readonly")
        specs.append(",".join(parts))
    return {"mounts": specs}


def _binds(value: list[str]) -> dict[str, Any]:
    return {"volumes": list(value)}


CONFIG: dict[str, Convert] = {
    "Image": _to("image"), "Cmd": _words("cmd"), "Entrypoint": _words("entrypoint"),
    "Env": _env, "WorkingDir": _to("workdir"), "User": _to("user"), "Tty": _to("tty"),
    "OpenStdin": _to("stdin_open"), "Hostname": _to("hostname"), "Labels": _to("labels"),
    "StopSignal": _to("stop_signal"), "StopTimeout": _to("stop_timeout"),
    "Volumes": _volumes, "MacAddress": _to("mac_address"),
    # decided by the daemon from Tty/OpenStdin (as dockerd's stored Config shows)
    "AttachStdin": lambda v: {}, "AttachStdout": lambda v: {}, "AttachStderr": lambda v: {},
    "StdinOnce": lambda v: {}, "NetworkDisabled": lambda v: {}, "ExposedPorts": lambda v: {},
    "Healthcheck": _healthcheck,
    # docker-py's create_container(runtime=) puts it here
    "Runtime": lambda v: {} if v in ("", "runc") else _refuse("Config.Runtime", v),
}

# HostConfig field → CreateOptions fields; other helpers add their rows here
HOST_CONFIG: dict[str, Convert] = {
    "Binds": _binds, "NetworkMode": _to("network"), "PortBindings": _port_bindings,
    "PublishAllPorts": _to("publish_all"), "Dns": _to("dns"), "DnsSearch": _to("dns_search"),
    "DnsOptions": _to("dns_options"), "ExtraHosts": _to("add_hosts"),
    "AutoRemove": _to("auto_remove"), "LogConfig": _log_config,
    "RestartPolicy": _restart_policy, "GroupAdd": _to("group_add"), "CapAdd": _to("cap_add"),
    "CapDrop": _to("cap_drop"), "Privileged": _to("privileged"),
    "SecurityOpt": _to("security_opt"), "ReadonlyRootfs": _to("read_only"), "Mounts": _mounts,
    "ConsoleSize": lambda v: {},  # the CLI's terminal size: resize follows the start
    "Runtime": lambda v: {} if v in ("", "runc") else _refuse("HostConfig.Runtime", v),
    "Isolation": lambda v: {"isolation": v} if v in ("", "default")
    else _refuse("HostConfig.Isolation", v),
    "VolumeDriver": _to("volume_driver"),
    "CgroupnsMode": _to("cgroupns"), "DeviceCgroupRules": _to("device_cgroup_rules"),
    "MemorySwappiness": _to("memory_swappiness"),
    # resources and namespaces (the library checks the values as dockerd does)
    "Memory": _to("memory"), "MemorySwap": _to("memory_swap"),
    "MemoryReservation": _to("memory_reservation"), "KernelMemory": _to("kernel_memory"),
    "NanoCpus": _to("nano_cpus"), "CpuShares": _to("cpu_shares"),
    "CpuPeriod": _to("cpu_period"), "CpuQuota": _to("cpu_quota"),
    "CpusetCpus": _to("cpuset_cpus"), "CpusetMems": _to("cpuset_mems"),
    "PidsLimit": _pids_limit, "OomKillDisable": _to("oom_kill_disable"),
    "BlkioWeight": _to("blkio_weight"), "Ulimits": _to("ulimits"), "ShmSize": _to("shm_size"),
    "Sysctls": _to("sysctls"), "Tmpfs": _tmpfs, "Devices": _devices, "IpcMode": _to("ipc"),
    "PidMode": _to("pid"), "UTSMode": _to("uts"), "Init": _to("init"),
}

# values that mean "not set" (the CLI's full body); -1 is MemorySwappiness's
_ZERO: tuple[Any, ...] = (None, "", 0, False, [], {}, -1, [0, 0])


def _refuse(field: str, value: Any) -> dict[str, Any]:
    raise InvalidArgument(f"create container: {field} is not supported by scow "
                          f"(got {value!r})")


def _apply(table: dict[str, Convert], section: str, body: dict[str, Any],
           out: dict[str, Any]) -> None:
    for key, value in body.items():
        convert = table.get(key)
        if convert is None:
            if value in _ZERO or (isinstance(value, bool) and not value):
                continue
            _refuse(f"{section}{key}", value)
        elif value not in (None,):
            try:
                converted = convert(value)
            except (AttributeError, TypeError, ValueError):
                raise InvalidArgument(f"create container: {section}{key}: invalid value "
                                      f"{value!r}") from None
            for option, got in converted.items():
                if option in ("volumes",) and option in out:
                    out[option] = out[option] + got
                else:
                    out[option] = got


def create_options(body: dict[str, Any], name: str | None) -> CreateOptions:
    """CreateOptions of a create body (docker's Config with HostConfig inside)."""
    if not isinstance(body, dict) or not body.get("Image"):
        raise InvalidArgument("create container: Config.Image is required")
    host = body.get("HostConfig") or {}
    networking = body.get("NetworkingConfig") or {}
    for section, value in (("HostConfig", host), ("NetworkingConfig", networking)):
        if not isinstance(value, dict):
            raise InvalidArgument(f"create container: {section}: want a JSON object")
    fields: dict[str, Any] = {}
    config = {k: v for k, v in body.items() if k not in ("HostConfig", "NetworkingConfig")}
    _apply(CONFIG, "Config.", config, fields)
    _apply(HOST_CONFIG, "HostConfig.", host, fields)
    _drop_shadowed(fields)
    fields.update(_endpoint(networking, fields.get("network", "")))
    if fields.get("network") in (None, "", "default"):
        fields["network"] = "bridge"
    if fields.get("entrypoint") == []:
        fields["entrypoint"] = [""]
    return CreateOptions(name=name or None, **fields)


def _drop_shadowed(fields: dict[str, Any]) -> None:
    """A Config.Volumes entry (an anonymous volume) whose destination a bind or a mount
    also names gives way to it, as dockerd's (docker-py sends both for `binds=`)."""
    volumes = fields.get("volumes") or []
    targets = {v.split(":")[1] for v in volumes if v.count(":") >= 1}
    for spec in fields.get("mounts") or []:
        for part in spec.split(","):
            key, _, value = part.partition("=")
            if key in ("target", "destination", "dst"):
                targets.add(value)
    if targets:
        fields["volumes"] = [v for v in volumes if ":" in v or v not in targets]


def _endpoint(networking: dict[str, Any], network: str) -> dict[str, Any]:
    """NetworkingConfig.EndpointsConfig of the container's network: aliases, --ip."""
    endpoints = networking.get("EndpointsConfig") or {}
    ep = endpoints.get(network) or (next(iter(endpoints.values())) if len(endpoints) == 1
                                     else None) or {}
    out: dict[str, Any] = {}
    if ep.get("Aliases"):
        out["network_aliases"] = list(ep["Aliases"])
    ip = (ep.get("IPAMConfig") or {}).get("IPv4Address")
    if ip:
        out["ip"] = ip
    return out
