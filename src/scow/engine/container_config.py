"""owns: how a container's configuration is made from its image and the user's flags
(docker's create: image config merged with the flags), and the JSON document kept for it
(the fields of docker's config.v2.json and hostconfig.json that scow uses)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scow.errors import InvalidArgument

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
    network: str = "host"
    volumes: list[str] = field(default_factory=list)  # -v specs
    mounts: list[str] = field(default_factory=list)  # --mount specs
    auto_remove: bool = False
    log_opts: dict[str, str] = field(default_factory=dict)
    stop_signal: str = ""
    stop_timeout: int | None = None
    read_only: bool = False
    group_add: list[str] = field(default_factory=list)
    cap_add: list[str] = field(default_factory=list)
    cap_drop: list[str] = field(default_factory=list)


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
        "ExposedPorts": image.get("ExposedPorts") or None,
        "Tty": opts.tty,
        "OpenStdin": opts.stdin_open,
        "StdinOnce": False,
        "Env": env,
        "Cmd": cmd,
        "Image": opts.image,
        "Volumes": image.get("Volumes") or None,
        "WorkingDir": opts.workdir or image.get("WorkingDir") or "",
        "Entrypoint": entrypoint,
        "OnBuild": image.get("OnBuild") or None,
        "Labels": labels,
        "StopSignal": opts.stop_signal or image.get("StopSignal") or None,
        "StopTimeout": opts.stop_timeout,
    }


def host_config(opts: CreateOptions) -> dict[str, Any]:
    log_config = {"Type": "json-file", "Config": dict(opts.log_opts)}
    return {
        "Binds": list(opts.volumes) or None,
        "LogConfig": log_config,
        "NetworkMode": opts.network,
        "RestartPolicy": {"Name": "no", "MaximumRetryCount": 0},
        "AutoRemove": opts.auto_remove,
        "GroupAdd": list(opts.group_add) or None,
        "CapAdd": list(opts.cap_add) or None,
        "CapDrop": list(opts.cap_drop) or None,
        "ReadonlyRootfs": opts.read_only,
        "Mounts": list(opts.mounts) or None,
        "Runtime": "runc",
        "ShmSize": 67108864,
    }


def command_of(config: dict[str, Any]) -> tuple[str, list[str]]:
    """(Path, Args) of the container's process."""
    argv = list(config.get("Entrypoint") or []) + list(config.get("Cmd") or [])
    return argv[0], argv[1:]
