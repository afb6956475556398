"""owns: running containers: start (mount the rootfs, volumes, the OCI bundle, the monitor),
stop, kill, wait, restart, pause, logs, attach (exec is execs.py's), starting the containers
whose restart policy asks for it after a reboot, and `cleanup`, which the monitor runs when
the container has stopped (it unmounts the rootfs: mounts are counted on disk, one per
running container, so a daemonless scow never leaks or stacks them)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator

from scow.engine.containers.base import ContainerBase
from scow.errors import Conflict, ContainerNotFound, NotFound, Unsupported
from scow.osutil.locks import flocked
from scow.store.containers import ContainerRecord

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any


if TYPE_CHECKING:
    from scow.runtime.attach import AttachConnection
    from scow.runtime.logs import LogEntry
    from scow.runtime.monitor import MonitorOptions, Started
    from scow.runtime.spec import Mount, RunConfig
    from scow.runtime.state import ContainerState


def fill_volume(rootfs: str, dest: str, volume: str) -> None:
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


def _signal(name: str) -> str:
    from scow.engine.events import signal_number  # start-up laziness (see engine/events.py)

    return signal_number(name)


def _ends_policy(record: ContainerRecord, signal: str) -> bool:
    """Whether `kill -s signal` ends the restart policy, as moby's killWithSignal decides:
    SIGKILL and the container's StopSignal do, any signal does when it has none; another
    signal (SIGHUP to reload a service) leaves the policy in place."""
    stop_signal = record.doc["Config"].get("StopSignal") or ""
    sent = _signal(signal)
    return not stop_signal or sent == _signal("KILL") or sent == _signal(stop_signal)


class ContainerLifecycle(ContainerBase):
    def start(self, name: str, *, attach: bool = False) -> Started | None:
        """docker start; None when it was already running."""
        record = self.records.get(name)
        st = self.state(record)
        if st is not None and st.active:
            return None
        self._monitor_gone(record)  # its exit command must not unmount the new run's rootfs
        with self.start_lock(record.id):  # (and may take the start lock: --rm)
            return self._start(self.records.get(record.id), attach)

    @contextlib.contextmanager
    def start_lock(self, container_id: str) -> Iterator[None]:
        """Held by start from before the mount until the container runs, and by rm (so
        prune): a removal never sees a starting container as stopped (dockerd's container
        lock)."""
        with contextlib.ExitStack() as stack:
            with contextlib.suppress(FileNotFoundError):  # no folder: the caller finds no record
                stack.enter_context(flocked(os.path.join(self.folder(container_id),
                                                         "start.lock")))
            yield

    def _start(self, record: ContainerRecord, attach: bool) -> Started | None:
        from scow.runtime.logdriver import monitor_fields
        from scow.runtime.monitor import MonitorOptions, start_container, write_restart_policy
        from scow.runtime.spec import make_spec, write_bundle, write_etc_files

        st = self.state(record)
        if st is not None and st.active:
            return None
        self.cleanup(record)  # a previous run whose monitor died may still hold its mount
        folder = self.folder(record.id)
        from scow.runtime.exit_claim import clear

        clear(folder)  # a done mark no monitor consumed is not this run's
        mount_id = record.mount_id or ""
        write_etc_files(folder, record.doc["Config"].get("Hostname", ""))  # if lost: again
        rootfs = self.store.layers.get_rw(mount_id)  # records a power loss took: rebuilt
        self._set_mounted(record.id, True)
        try:
            netns = None
            if (record.doc["HostConfig"].get("NetworkMode") or "default") not in ("host", "none"):
                from scow.engine.network_attach import attach as attach_network  # scow network

                netns = attach_network(self, record)
            cfg = self.run_config(record, rootfs, netns or "")
            write_bundle(folder, make_spec(cfg, rootfs, folder))
            write_restart_policy(folder, record.doc["HostConfig"].get("RestartPolicy") or {})
            opts = MonitorOptions(
                tty=cfg.tty, open_stdin=cfg.open_stdin,
                **monitor_fields(record.doc["HostConfig"]["LogConfig"], record.name),
                healthcheck=record.doc["Config"].get("Healthcheck"),
                exit_command=(sys.executable, "-m", "scow", "--root", self.store.root,
                              "container", "cleanup", record.id))
            opts = self._with_events(opts, record)
            if attach:
                self.event(record, "attach")
            self.volume_events(record, "mount")
            started = start_container(folder, record.id, self.runc, opts, attach=attach)
        except BaseException:
            with contextlib.suppress(Exception):
                self.cleanup(record)
            raise
        return started  # the monitor logged `start` (before the run's `die`)

    def _with_events(self, opts: MonitorOptions, record: ContainerRecord) -> MonitorOptions:
        """The monitor writes the container's `die` to the root's event log."""
        from scow.engine.events import container_attributes
        from scow.typeshim import replace

        return replace(opts, events_root=self.store.root,
                       event_attributes=tuple(container_attributes(record).items()))

    def start_restart_policies(self) -> list[tuple[str, str]]:
        """Start every stopped container whose restart policy asks for it when the host (or
        scow's API service) starts: `always`, and `unless-stopped` unless the user stopped
        it (docker's daemon restore). (name, "" or the error) of each one tried."""
        from scow.runtime.restart import manually_stopped, restart_at_boot

        tried = []
        for record in self.records.all():
            policy = record.doc["HostConfig"].get("RestartPolicy") or {}
            st = self.state(record)
            if st is None or st.status != "exited" or \
                    not restart_at_boot(policy, manually_stopped(self.folder(record.id))):
                continue
            try:
                self.start(record.id)
                tried.append((record.name, ""))
            except Exception as exc:  # noqa: BLE001 - one container's failure stops no other
                tried.append((record.name, str(exc)))
        return tried

    def run_config(self, record: ContainerRecord, rootfs: str, netns: str = "") -> RunConfig:
        """What the OCI spec of the container's next run is made from: its config, mounts and
        isolation, over `rootfs`."""
        from scow.engine.containers.security import isolation
        from scow.runtime.spec import RunConfig

        doc, config = record.doc, record.doc["Config"]
        host = doc["HostConfig"]
        privileged, nnp, seccomp = isolation(host, self.settings.seccomp_profile)
        return RunConfig(
            container_id=record.id, entrypoint=tuple(config.get("Entrypoint") or ()),
            cmd=tuple(config.get("Cmd") or ()), env=tuple(config.get("Env") or ()),
            user=config.get("User") or "", group_add=tuple(host.get("GroupAdd") or ()),
            workdir=config.get("WorkingDir") or "/", tty=bool(config.get("Tty")),
            open_stdin=bool(config.get("OpenStdin")), hostname=config.get("Hostname") or "",
            network="host" if host.get("NetworkMode") in ("host", "default") else "none",
            netns=netns,
            mounts=tuple(self._mounts(record, rootfs)),
            read_only_rootfs=bool(host.get("ReadonlyRootfs")),
            cap_add=tuple(host.get("CapAdd") or ()), cap_drop=tuple(host.get("CapDrop") or ()),
            privileged=privileged, no_new_privileges=nnp, seccomp=seccomp,
            **self._resources(host))

    def _resources(self, host: dict[str, Any]) -> dict[str, Any]:
        """RunConfig's ulimits, HostConfig and ipc/pid/uts namespaces to join."""
        from scow.engine.containers.resources import namespace_paths, ulimits_of

        def pid_of(name: str) -> int:
            other = self.records.get(name)
            if (host.get("IpcMode") or "").startswith("container:") and \
                    other.doc["HostConfig"].get("IpcMode") not in ("shareable", "host"):
                raise Conflict("non-shareable IPC (hint: use IpcMode:shareable for the donor "
                               "container)")
            st = self.state(other)
            if st is None or st.status != "running" or not st.pid:
                raise Conflict(f"cannot join namespace of a non running container: {name}")
            return int(st.pid)

        return {"ulimits": ulimits_of(host), "host_config": host,
                "namespace_paths": namespace_paths(host, pid_of)}

    def _mounts(self, record: ContainerRecord, rootfs: str) -> Iterator[Mount]:
        from scow.runtime.spec import Mount

        for m in record.doc.get("MountPoints", []):
            if m["Type"] == "tmpfs":
                yield Mount(m["Destination"], "", "tmpfs", not m["RW"])
                continue
            source = m["Source"]
            if m["Type"] == "volume":
                fresh = self.volumes.find(m["Name"]) is None
                volume = self.volumes.create(m["Name"], anonymous=m.get("Anonymous", False))
                source = volume.mountpoint
                if fresh or not os.listdir(source):
                    fill_volume(rootfs, m["Destination"], source)
            yield Mount(m["Destination"], source, "bind", not m["RW"])

    def _monitor_gone(self, record: ContainerRecord, timeout: float = 130.0
                      ) -> None:
        """Wait until the monitor of a stopped container has run its exit command and exited."""
        from scow.runtime.monitor import wait_gone

        wait_gone(self.folder(record.id), timeout)

    def _is_mounted(self, container_id: str) -> bool:
        doc = self.records.doc_of(container_id)
        return bool(doc and doc.get("Mounted"))

    def _set_mounted(self, container_id: str, mounted: bool) -> None:
        self.records.patch_doc(container_id, {"Mounted": mounted})

    def cleanup(self, record: ContainerRecord, *,
                remove_runtime: bool = False) -> None:
        """Release what a stopped container holds: runc's state and its rootfs mount.
        Idempotent; run by the monitor's exit command and by start/rm."""
        folder = self.folder(record.id)
        if not os.path.isdir(folder):
            return
        with flocked(os.path.join(folder, "cleanup.lock")):
            st = self.state(record)
            if st is not None and st.active:
                return  # restarting: the monitor runs it again on the same mount
            if _may_attach(record.doc["HostConfig"].get("NetworkMode") or "default"):
                from scow.engine.network_attach import detach as detach_network  # scow network

                detach_network(self, record)
            if self._is_mounted(record.id):
                self.store.driver.put(record.mount_id or "")
                self._set_mounted(record.id, False)
                self.volume_events(record, "unmount")
            if (remove_runtime or st is not None) and self.runtime_knows(record.id):
                with contextlib.suppress(Exception):  # the monitor deletes it: left by a crash
                    self.runc.delete(record.id, force=True)

    def _exit_work(self, record: ContainerRecord) -> None:
        """A stopped container's exit work (the service also removes it for --rm)."""
        self.cleanup(record)

    def stop(self, name: str, *, timeout: float | None = None,
             signal: str | None = None) -> ContainerState | None:
        """docker stop: the stop signal (the container's, else TERM), then KILL after `timeout`
        seconds (the container's, else 10); its last state. It does the exit work itself
        (`_stop_run`); when an attached `run` or another stop does it, it waits for that."""
        record = self.records.get(name)
        config = record.doc["Config"]
        if timeout is None:
            timeout = config.get("StopTimeout") if config.get("StopTimeout") is not None else 10
        sig = signal or config.get("StopSignal") or "TERM"
        self._unpause(record)
        running = self.state(record)
        st = self._stop_run(record, running, float(timeout), sig.removeprefix("SIG"),
                            self._exit_work, lambda s: self.event(record, "kill",
                                                                  {"signal": _signal(s)}))
        self.cleanup(record)
        if running is not None and running.status == "running":
            self.event(record, "stop")  # docker: none for a container that was not running
        return st

    def _stop_run(self, record: ContainerRecord, running: ContainerState | None,
                  timeout: float, sig: str, exit_work: Callable[[ContainerRecord], None],
                  on_kill: Callable[[str], None] | None = None) -> ContainerState:
        """Stop the run (`sig`, KILL after `timeout`) and wait for its monitor to go. Under the
        exit claim (taken before the signal unless an attached `run` or another stop holds
        it) this process does `exit_work` itself and the monitor runs no exit command (a
        second scow process); else the claim's holder or the exit command does it."""
        from scow.runtime import exit_claim
        from scow.runtime.monitor import stop as stop_monitor

        folder = self.folder(record.id)
        claim = exit_claim.try_claim(folder) if running is not None and running.active else None
        try:
            st = stop_monitor(folder, record.id, self.runc, timeout=timeout, signal=sig,
                              on_kill=on_kill)
            if claim is not None and st.status == "exited":
                with contextlib.suppress(NotFound):  # a concurrent rm took the stopped one
                    exit_work(record)
                    exit_claim.mark_done(folder)
        finally:
            exit_claim.release(claim)
        self._monitor_gone(record)  # it consumes the mark, or does the work without a claim
        return st

    def restart(self, name: str, *, timeout: float | None = None,
                signal: str | None = None) -> None:
        """docker restart: stop (as `stop` does), then start."""
        self.stop(name, timeout=timeout, signal=signal)
        self.start(name)
        self.event(self.records.get(name), "restart")

    def kill(self, name: str, signal: str = "KILL") -> None:
        """docker kill: send `signal` to the running container; Conflict if it is not running."""
        from scow.runtime.monitor import kill as kill_monitor

        record = self.records.get(name)
        st = self.state(record)
        if st is None or not st.active:  # restarting: it gives up
            raise Conflict(f"cannot kill container: {name}: container {record.id} is not "
                           "running")
        self.event(record, "kill", {"signal": _signal(signal)})
        kill_monitor(self.folder(record.id), record.id, self.runc,
                     signal.upper().removeprefix("SIG"), ends_policy=_ends_policy(record, signal))

    def kill_for_removal(self, record: ContainerRecord) -> None:
        """Kill the container at once and wait for its monitor to go (docker rm -f)."""
        self._unpause(record)
        self.event(record, "kill", {"signal": _signal("KILL")})
        self._stop_run(record, self.state(record), 0, "KILL", self.cleanup)  # rm removes it

    def claim_exit(self, container_id: str) -> contextlib.AbstractContextManager[None]:
        """Held by an attached `run` from before the start until `finish_attached` returns:
        the monitor then leaves the exit work to it (runtime/exit_claim.py). The claim
        `create_id(claim_exit=True)` took is the one held, when there is one."""
        from scow.runtime.exit_claim import claimed, holding

        held = self._held_claims.pop(container_id, None)
        return holding(held) if held is not None else claimed(self.folder(container_id))

    def wait_released(self, name: str) -> None:
        """Wait until the stopped container's monitor ran its cleanup (rootfs mount and
        network released), as `wait` does."""
        record = self.records.find(name)
        if record is not None:
            self._monitor_gone(record)

    def wait(self, name: str) -> int:
        """docker wait: until the container exits (waiting for a created one to run), an exit
        its restart policy restarts included (as dockerd); its exit code."""
        import time

        from scow.runtime.monitor import wait as wait_monitor

        record = self.records.get(name)
        while self.state(record) is None:  # docker waits for a created container to run and exit
            if self.records.find(record.id) is None:  # it ran and --rm removed it meanwhile
                raise ContainerNotFound(f"No such container: {name}")
            time.sleep(0.1)
        state = wait_monitor(self.folder(record.id), record.id, self.runc, any_exit=True)
        if state.status == "exited":  # not an exit its restart policy restarts
            self._monitor_gone(record)  # its mount is released when wait returns
        return state.exit_code

    def pause(self, name: str) -> None:
        """docker pause: freeze the container's processes; Conflict unless it is running."""
        from scow.runtime.state import paused_marker

        record = self.records.get(name)
        st = self.state(record)
        if st is None or st.status != "running":
            raise Conflict(f"Container {record.id} is not running")
        self.runc.pause(record.id)
        open(paused_marker(self.folder(record.id)), "w").close()
        self.event(record, "pause")

    def unpause(self, name: str) -> None:
        """docker unpause; Conflict unless the container is paused."""
        record = self.records.get(name)
        if not self._unpause(record):
            raise Conflict(f"Container {record.id} is not paused")
        self.event(record, "unpause")

    def _unpause(self, record: ContainerRecord) -> bool:
        from scow.runtime.state import paused_marker

        marker = paused_marker(self.folder(record.id))
        if not os.path.exists(marker):
            return False
        with contextlib.suppress(Exception):
            self.runc.resume(record.id)
        os.unlink(marker)
        return True

    def logs(self, name: str, *, follow: bool = False, tail: int | None = None,
             since: str | None = None, until: str | None = None) -> Iterator[LogEntry]:
        """docker logs: the container's json-file log entries (stream, time, data), following it
        while it runs with `follow`."""
        from scow.runtime.locallog import local_split
        from scow.runtime.logdriver import READABLE, log_file
        from scow.runtime.logs import json_split, read_logs

        record = self.records.get(name)
        driver = (record.doc["HostConfig"].get("LogConfig") or {}).get("Type", "json-file")
        if driver not in READABLE:
            raise Unsupported("configured logging driver does not support reading")
        path = log_file(self.folder(record.id), driver)

        def stopped() -> bool:
            st = self.state(record)
            return st is None or st.status != "running"

        return read_logs(path, tail=tail, since=since, until=until, follow=follow, stopped=stopped,
                         split=local_split if driver == "local" else json_split)

    def attach(self, name: str) -> AttachConnection:
        """docker attach: a connection to the running container's stdio (its monitor's socket)."""
        from scow.runtime.attach import AttachConnection

        record = self.records.get(name)
        st = self.state(record)
        if st is None or st.status != "running":
            raise Conflict("You cannot attach to a stopped container, start it first")
        conn = AttachConnection(self.folder(record.id))
        self.event(record, "attach")
        return conn

    def release_stopped_mount(self, record: ContainerRecord) -> None:
        """Release a container's rootfs mount unless it is running or paused (docker's cleanup)."""
        if self.status_of(record)[0] in ("running", "paused", "restarting"):
            return
        self.cleanup(record)
        driver = self.store.driver
        for _ in range(64):  # killed between mounting and recording it: no Mounted flag
            if not (record.mount_id and driver.is_mounted(record.mount_id)):
                break
            driver.put(record.mount_id)


def _may_attach(mode: str) -> bool:
    """Whether a container of this NetworkMode can have had a network attached: not one on
    the host's or another container's namespace, nor `none` (`network connect` refuses them,
    start attaches none), so its cleanup loads no network modules (`rm`, issue 18)."""
    return mode not in ("host", "none") and not mode.startswith("container:")
