"""owns: docker-py's way of asking for a container: the keyword arguments of
`containers.create`/`containers.run` (name, environment, entrypoint, working_dir, volumes,
mem_limit, restart_policy...) mapped to `CreateOptions` (config.py), with docker-py's value
forms (an environment dict, a volumes dict, sizes as "512m", a string command split as a
shell would). Loaded by ContainerService.create given an image name, never by the CLI.
"""

from __future__ import annotations

from scow.engine.containers.config import CreateOptions
from scow.errors import InvalidArgument

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any


# docker-py's keyword arguments of containers.create/run → CreateOptions fields
_KWARGS = {"name": "name", "entrypoint": "entrypoint", "working_dir": "workdir", "user": "user",
           "tty": "tty", "stdin_open": "stdin_open", "hostname": "hostname",
           "labels": "labels", "network_mode": "network", "mounts": "mounts",
           "auto_remove": "auto_remove", "read_only": "read_only", "cap_add": "cap_add",
           "cap_drop": "cap_drop", "privileged": "privileged", "security_opt": "security_opt",
           "stop_signal": "stop_signal", "group_add": "group_add", "log_opts": "log_opts",
           **{"mem_limit": "memory", "memswap_limit": "memory_swap",  # resources
              "mem_reservation": "memory_reservation", "kernel_memory": "kernel_memory",
              "nano_cpus": "nano_cpus", "cpu_shares": "cpu_shares", "cpu_period": "cpu_period",
              "cpu_quota": "cpu_quota", "cpuset_cpus": "cpuset_cpus",
              "cpuset_mems": "cpuset_mems", "pids_limit": "pids_limit",
              "oom_kill_disable": "oom_kill_disable", "blkio_weight": "blkio_weight",
              "ulimits": "ulimits", "shm_size": "shm_size", "sysctls": "sysctls",
              "tmpfs": "tmpfs", "devices": "devices", "ipc_mode": "ipc", "pid_mode": "pid",
              "uts_mode": "uts", "init": "init"},
           "restart_policy": "restart", "log_driver": "log_driver"}


def options_of(image: str, command: str | list[str] | None, kwargs: dict[str, Any]
               ) -> CreateOptions:
    """CreateOptions from docker-py's create/run arguments (`environment` a list or a dict,
    `volumes` -v specs or docker-py's {host: {"bind": path, "mode": "rw"}}, a string
    `command` or `entrypoint` split as a shell would)."""
    import shlex

    fields: dict[str, Any] = {}
    for key, value in kwargs.items():
        if key in _KWARGS:
            fields[_KWARGS[key]] = value
        elif key not in ("environment", "volumes"):
            raise InvalidArgument(f"create container: unknown argument {key!r}")
    env = kwargs.get("environment") or []
    fields["env"] = [f"{k}={v}" for k, v in env.items()] if isinstance(env, dict) else list(env)
    volumes = kwargs.get("volumes") or []
    fields["volumes"] = [f"{host}:{v['bind']}:{v.get('mode', 'rw')}"
                         for host, v in volumes.items()] if isinstance(volumes, dict) \
        else list(volumes)
    for key in ("memory", "memory_swap", "memory_reservation", "shm_size"):
        if isinstance(fields.get(key), str):  # docker-py: "512m"
            from scow.format.units import parse_size

            fields[key] = parse_size(fields[key])
    if isinstance(fields.get("tmpfs"), dict):
        fields["tmpfs"] = [f"{k}:{v}" if v else k for k, v in fields["tmpfs"].items()]
    policy = fields.get("restart")
    if isinstance(policy, dict):  # docker-py: {"Name": ..., "MaximumRetryCount": N}
        fields["restart"] = f"{policy.get('Name') or 'no'}:{policy.get('MaximumRetryCount') or 0}"
    if isinstance(fields.get("entrypoint"), str):
        fields["entrypoint"] = shlex.split(fields["entrypoint"])
    if fields.get("network") in (None, "default", "bridge"):
        fields["network"] = "host"
    cmd = shlex.split(command) if isinstance(command, str) else command
    return CreateOptions(image=image, cmd=list(cmd) if cmd is not None else None, **fields)
