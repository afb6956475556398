"""owns: running containers: start (mount the rootfs, volumes, the OCI bundle, the monitor),
stop, kill, wait, restart, pause, exec, logs, attach, and `cleanup`, which the monitor runs
when the container has stopped (it unmounts the rootfs: mounts are counted on disk, one per
running container, so a daemonless scow never leaks or stacks them)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from scow.engine.container_config import merge_env
from scow.errors import Conflict, InvalidArgument
from scow.osutil.locks import flocked
from scow.store.containers import ContainerRecord

if TYPE_CHECKING:
    from scow.engine.containers import ContainerService
    from scow.runtime.attach import AttachConnection
    from scow.runtime.logs import LogEntry
    from scow.runtime.monitor import Started
    from scow.runtime.spec import Mount, RunConfig
    from scow.runtime.state import ContainerState


def start(svc: ContainerService, name: str, *, attach: bool = False) -> Started | None:
    """docker start; None when it was already running."""
    from scow.format.units import parse_size
    from scow.runtime.monitor import MonitorOptions, start_container
    from scow.runtime.spec import make_spec, write_bundle

    record = svc.records.get(name)
    st = svc.state(record)
    if st is not None and st.status == "running":
        return None
    _monitor_gone(svc, record)  # its exit command must not unmount the new run's rootfs
    cleanup(svc, record)  # a previous run whose monitor died may still hold its mount
    folder = svc.folder(record.id)
    mount_id = record.mount_id or ""
    rootfs = svc.store.driver.get(mount_id)
    _set_mounted(svc, record.id, True)
    try:
        cfg = run_config(svc, record, rootfs)
        write_bundle(folder, make_spec(cfg, rootfs, folder))
        log = record.doc["HostConfig"]["LogConfig"]["Config"]
        opts = MonitorOptions(
            tty=cfg.tty, open_stdin=cfg.open_stdin,
            log_max_size=parse_size(log["max-size"]) if log.get("max-size") else -1,
            log_max_file=int(log.get("max-file", "1")),
            exit_command=(sys.executable, "-m", "scow", "--root", svc.store.root, "container",
                          "cleanup", record.id))
        return start_container(folder, record.id, svc.runc, opts, attach=attach)
    except BaseException:
        with contextlib.suppress(Exception):
            cleanup(svc, record)
        raise


def run_config(svc: ContainerService, record: ContainerRecord, rootfs: str) -> RunConfig:
    from scow.engine.container_config import isolation
    from scow.runtime.spec import RunConfig

    doc, config = record.doc, record.doc["Config"]
    host = doc["HostConfig"]
    privileged, nnp, seccomp = isolation(host, svc.engine.settings.seccomp_profile)
    return RunConfig(
        container_id=record.id, entrypoint=tuple(config.get("Entrypoint") or ()),
        cmd=tuple(config.get("Cmd") or ()), env=tuple(config.get("Env") or ()),
        user=config.get("User") or "", group_add=tuple(host.get("GroupAdd") or ()),
        workdir=config.get("WorkingDir") or "/", tty=bool(config.get("Tty")),
        open_stdin=bool(config.get("OpenStdin")), hostname=config.get("Hostname") or "",
        network="host" if host.get("NetworkMode") in ("host", "default") else "none",
        mounts=tuple(_mounts(svc, record, rootfs)),
        read_only_rootfs=bool(host.get("ReadonlyRootfs")),
        cap_add=tuple(host.get("CapAdd") or ()), cap_drop=tuple(host.get("CapDrop") or ()),
        privileged=privileged, no_new_privileges=nnp, seccomp=seccomp)


def _mounts(svc: ContainerService, record: ContainerRecord, rootfs: str) -> Iterator[Mount]:
    from scow.runtime.spec import Mount

    for m in record.doc.get("MountPoints", []):
        if m["Type"] == "tmpfs":
            yield Mount(m["Destination"], "", "tmpfs", not m["RW"])
            continue
        source = m["Source"]
        if m["Type"] == "volume":
            fresh = svc.engine.volumes.find(m["Name"]) is None
            volume = svc.engine.volumes.create(m["Name"], anonymous=m.get("Anonymous", False))
            source = volume.mountpoint
            if fresh or not os.listdir(source):
                _fill_volume(rootfs, m["Destination"], source)
        yield Mount(m["Destination"], source, "bind", not m["RW"])


def _fill_volume(rootfs: str, dest: str, volume: str) -> None:
    """docker copies the image's content at the mount point into an empty new volume."""
    from scow.osutil.fs import copy_tree
    from scow.osutil.openat2 import open_in_root

    root_fd = os.open(rootfs, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fd = open_in_root(root_fd, dest, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return
    finally:
        os.close(root_fd)
    try:
        copy_tree(f"/proc/self/fd/{fd}/.", volume)  # the contents, owner and mode of the folder
    finally:
        os.close(fd)


def _monitor_gone(svc: ContainerService, record: ContainerRecord, timeout: float = 130.0
                  ) -> None:
    """Wait until the monitor of a stopped container has run its exit command and exited."""
    import time

    from scow.runtime.monitor import monitor_running

    folder = svc.folder(record.id)
    deadline = time.monotonic() + timeout
    while monitor_running(folder) and time.monotonic() < deadline:
        time.sleep(0.02)


def _is_mounted(svc: ContainerService, container_id: str) -> bool:
    doc = svc.records.doc_of(container_id)
    return bool(doc and doc.get("Mounted"))


def _set_mounted(svc: ContainerService, container_id: str, mounted: bool) -> None:
    svc.records.patch_doc(container_id, {"Mounted": mounted})


def cleanup(svc: ContainerService, record: ContainerRecord, *,
            remove_runtime: bool = False) -> None:
    """Release what a stopped container holds: runc's state and its rootfs mount.
    Idempotent; run by the monitor's exit command and by start/rm."""
    folder = svc.folder(record.id)
    if not os.path.isdir(folder):
        return
    with flocked(os.path.join(folder, "cleanup.lock")):
        st = svc.state(record)
        if st is not None and st.status == "running":
            return
        if _is_mounted(svc, record.id):
            svc.store.driver.put(record.mount_id or "")
            _set_mounted(svc, record.id, False)
        if remove_runtime or st is not None:
            with contextlib.suppress(Exception):
                if svc.runc.state(record.id) is not None:
                    svc.runc.delete(record.id, force=True)


def exit_cleanup(svc: ContainerService, container_id: str) -> None:
    """What the monitor runs after the container stopped: cleanup, then --rm."""
    record = svc.records.find(container_id)
    if record is None:
        return
    cleanup(svc, record)
    if record.doc["HostConfig"].get("AutoRemove"):
        svc.remove(container_id, volumes=True)


def stop(svc: ContainerService, name: str, *, timeout: float | None = None,
         signal: str | None = None) -> ContainerState | None:
    from scow.runtime.monitor import stop as stop_monitor

    record = svc.records.get(name)
    config = record.doc["Config"]
    if timeout is None:
        timeout = config.get("StopTimeout") if config.get("StopTimeout") is not None else 10
    sig = signal or config.get("StopSignal") or "TERM"
    _unpause(svc, record)
    st = stop_monitor(svc.folder(record.id), record.id, svc.runc, timeout=float(timeout),
                      signal=sig.removeprefix("SIG"))
    _monitor_gone(svc, record)
    cleanup(svc, record)
    return st


def kill(svc: ContainerService, name: str, signal: str = "KILL") -> None:
    from scow.runtime.monitor import kill as kill_monitor

    record = svc.records.get(name)
    st = svc.state(record)
    if st is None or st.status != "running":
        raise Conflict(f"cannot kill container: {name}: container {record.id} is not running")
    kill_monitor(svc.folder(record.id), record.id, svc.runc, signal.upper().removeprefix("SIG"))


def kill_for_removal(svc: ContainerService, record: ContainerRecord) -> None:
    from scow.runtime.monitor import stop as stop_monitor

    _unpause(svc, record)
    stop_monitor(svc.folder(record.id), record.id, svc.runc, timeout=0, signal="KILL")
    _monitor_gone(svc, record)


def wait(svc: ContainerService, name: str) -> int:
    import time

    from scow.runtime.monitor import wait as wait_monitor

    record = svc.records.get(name)
    while svc.state(record) is None:  # docker waits for a created container to run and exit
        time.sleep(0.1)
    code = wait_monitor(svc.folder(record.id), record.id, svc.runc).exit_code
    _monitor_gone(svc, record)  # its mount is released when wait returns
    return code


def pause(svc: ContainerService, name: str) -> None:
    record = svc.records.get(name)
    st = svc.state(record)
    if st is None or st.status != "running":
        raise Conflict(f"Container {record.id} is not running")
    svc.runc.pause(record.id)
    open(os.path.join(svc.folder(record.id), "paused"), "w").close()


def unpause(svc: ContainerService, name: str) -> None:
    record = svc.records.get(name)
    if not _unpause(svc, record):
        raise Conflict(f"Container {record.id} is not paused")


def _unpause(svc: ContainerService, record: ContainerRecord) -> bool:
    marker = os.path.join(svc.folder(record.id), "paused")
    if not os.path.exists(marker):
        return False
    with contextlib.suppress(Exception):
        svc.runc.resume(record.id)
    os.unlink(marker)
    return True


def exec_in(svc: ContainerService, name: str, argv: list[str], *, env: list[str] | None = None,
            user: str = "", workdir: str = "", tty: bool = False, detach: bool = False,
            stdin: int | None = None) -> int | None:
    """docker exec: the process's exit code (None when detached)."""
    from scow.runtime.exec import ExecConfig, exec_process

    record = svc.records.get(name)
    st = svc.state(record)
    if st is None or st.status != "running":
        raise Conflict(f"Container {record.id} is not running")
    if os.path.exists(os.path.join(svc.folder(record.id), "paused")):
        raise Conflict(f"Container {record.id} is paused, unpause the container before exec")
    if not argv:
        raise InvalidArgument("exec: no command specified")
    config = record.doc["Config"]
    cfg = ExecConfig(argv=tuple(argv), env=tuple(merge_env(config.get("Env") or [], env or [])),
                     **_exec_isolation(record.doc["HostConfig"]),
                     user=user or config.get("User") or "",
                     workdir=workdir or config.get("WorkingDir") or "/", tty=tty,
                     hostname=config.get("Hostname") or "")
    rootfs = svc.store.driver.metadata(record.mount_id or "").get("MergedDir") or \
        svc.store.driver.layer_path(record.mount_id or "")
    return exec_process(svc.runc, record.id, cfg, rootfs, detach=detach, stdin=stdin)


def _exec_isolation(host: dict[str, Any]) -> dict[str, Any]:
    """The container's capabilities and no-new-privileges, which its exec processes get too
    (runc applies the container's seccomp filter to them itself)."""
    from scow.engine.container_config import isolation
    from scow.runtime.capabilities import container_caps

    privileged, nnp, _ = isolation(host, "")  # the profile is not needed here
    caps = container_caps(host.get("CapAdd") or (), host.get("CapDrop") or (),
                          privileged=privileged)
    return {"caps": tuple(caps), "no_new_privileges": nnp}


def logs(svc: ContainerService, name: str, *, follow: bool = False, tail: int | None = None,
         since: str | None = None, until: str | None = None) -> Iterator[LogEntry]:
    from scow.runtime.logs import LOG_FILE, read_logs

    record = svc.records.get(name)
    path = os.path.join(svc.folder(record.id), LOG_FILE)

    def stopped() -> bool:
        st = svc.state(record)
        return st is None or st.status != "running"

    return read_logs(path, tail=tail, since=since, until=until, follow=follow, stopped=stopped)


def attach(svc: ContainerService, name: str) -> AttachConnection:
    from scow.runtime.attach import AttachConnection

    record = svc.records.get(name)
    st = svc.state(record)
    if st is None or st.status != "running":
        raise Conflict("You cannot attach to a stopped container, start it first")
    return AttachConnection(svc.folder(record.id))


def inspect_state(svc: ContainerService, record: ContainerRecord) -> dict[str, Any]:
    """docker inspect's State object."""
    st = svc.state(record)
    paused = os.path.exists(os.path.join(svc.folder(record.id), "paused"))
    zero = "0001-01-01T00:00:00Z"
    if st is None:
        return {"Status": "created", "Running": False, "Paused": False, "Restarting": False,
                "OOMKilled": False, "Dead": False, "Pid": 0, "ExitCode": 0, "Error": "",
                "StartedAt": zero, "FinishedAt": zero}
    running = st.status == "running"
    return {"Status": "paused" if running and paused else st.status, "Running": running,
            "Paused": running and paused, "Restarting": False, "OOMKilled": False,
            "Dead": False, "Pid": st.pid if running else 0, "ExitCode": st.exit_code,
            "Error": st.error, "StartedAt": st.started_at, "FinishedAt": st.finished_at}
