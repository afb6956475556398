"""owns: starting a container under its monitor (the shim), waiting, stopping, repairing.

    <container_dir>/shim.json       the monitor's configuration (written here)
    <container_dir>/shim.log        the monitor's own stderr (tracebacks, for debugging)
    <container_dir>/state.json      see scow.runtime.state
    <container_dir>/attach.sock     see scow.runtime.attach
    <container_dir>/restart-policy.json, manual-stop   see scow.runtime.restart

`start_container` spawns `python -m scow.runtime.shim`, which outlives the caller. A monitor
that died (kill -9) is detected by its free flock on shim.lock: `refresh` then kills what is
left of the container, deletes it from runc and records it as exited (137, "monitor died").
`stop`, `kill` and `remove` record that the user stopped the run (no restart policy applies
to it then); `start_container` forgets that.
"""

from __future__ import annotations

import os
import select
import sys
import time
from collections.abc import Callable, Sequence

import scow
from scow.errors import Conflict, ContainerRunning, InternalError, RuntimeFailure, ScowError
from scow.fastjson import dumps, loads
from scow.osutil.atomic import atomic_write
from scow.osutil.locks import is_locked
from scow.runtime import restart
from scow.runtime.runc import Runc, rebuild_error
from scow.runtime.state import LOCK_FILE, ContainerState, is_paused, read_state, write_state

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)

if TYPE_CHECKING:
    from dataclasses import dataclass

    from scow.runtime.attach import AttachConnection, ExitWatch
else:
    from scow.typeshim import dataclass


@dataclass
class Started:
    pid: int
    started_at: str
    attach: AttachConnection | None


@dataclass(frozen=True)
class MonitorOptions:
    tty: bool = False
    open_stdin: bool = False
    log_max_size: int = -1  # bytes; -1 = never rotate
    log_max_file: int = 1
    log_compress: bool = False  # gzip the rotated files
    log_driver: str = "json-file"  # see scow.runtime.logdriver
    log_tag: str = ""  # journald's SYSLOG_IDENTIFIER (default: the short ID)
    name: str = ""  # the container's name (journald's CONTAINER_NAME)
    healthcheck: dict[str, object] | None = None  # Config.Healthcheck (see runtime.health)
    exit_command: tuple[str, ...] = ()  # run by the monitor once the container has stopped
    # the event log: the monitor appends the container's `die` to it
    events_root: str = ""  # the store's root ("" = write no events)
    event_attributes: tuple[tuple[str, str], ...] = ()  # the container's labels, image, name


def start_container(container_dir: str, container_id: str, runc: Runc,
                    opts: MonitorOptions | None = None, *, attach: bool = False,
                    timeout: float = 30.0) -> Started:
    """Create and start the container whose config.json is in `container_dir`.

    With `attach`, the returned connection is made before the process starts, so no output
    is missed. Raises CommandNotFound/CommandNotExecutable/RuntimeFailure from runc."""
    opts = opts or MonitorOptions()
    cfg = {"id": container_id, "bundle": container_dir, "runc": runc.path,
           "runc_root": runc.root, "tty": opts.tty, "stdin": opts.open_stdin,
           "log_max_size": opts.log_max_size, "log_max_file": opts.log_max_file,
           "log_compress": opts.log_compress, "log_driver": opts.log_driver,
           "log_tag": opts.log_tag, "name": opts.name, "healthcheck": opts.healthcheck,
           "exit_command": list(opts.exit_command),
           "events_root": opts.events_root, "event_attributes": dict(opts.event_attributes)}
    atomic_write(os.path.join(container_dir, "shim.json"), dumps(cfg).encode(), 0o600,
                 durable=False)  # read by this run's monitor only
    restart.clear_manually_stopped(container_dir)
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    try:
        _spawn(container_dir, ready_w, go_r)
        os.close(ready_w)
        os.close(go_r)
        ready_w = go_r = -1
        pid = int(str(_reply(ready_r, timeout, f"create container {container_id[:12]}")["pid"]))
        conn = None
        if attach:
            from scow.runtime.attach import AttachConnection

            conn = AttachConnection(container_dir)
        os.write(go_w, b"start\n")
        started = _reply(ready_r, timeout, f"start container {container_id[:12]}")
        return Started(pid=pid, started_at=str(started["started_at"]), attach=conn)
    finally:
        for fd in (ready_r, ready_w, go_r, go_w):
            if fd >= 0:
                os.close(fd)


def _spawn(container_dir: str, ready_w: int, go_r: int) -> None:
    import _thread  # threading's count, without loading threading (start-up)

    if _thread._count() == 0 and os.environ.get("SCOW_SHIM_EXEC") != "1":  # one thread
        from scow.runtime.shim import spawn_forked

        spawn_forked(container_dir, ready_w, go_r)
        return
    import subprocess

    env = dict(os.environ)
    src = os.path.dirname(os.path.dirname(os.path.abspath(scow.__file__)))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    fd = os.open(os.path.join(container_dir, "shim.log"),
                 os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
    with open(fd, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-S", "-m", "scow.runtime.shim", container_dir, str(ready_w),
             str(go_r)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
            pass_fds=(ready_w, go_r), start_new_session=True, env=env, cwd="/")
    proc.wait()  # the first fork exits at once; the monitor itself lives on


def _reply(fd: int, timeout: float, verb: str) -> dict[str, object]:
    buf = b""
    deadline = time.monotonic() + timeout
    while not buf.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise RuntimeFailure(f"{verb}: the monitor did not answer in {timeout:g}s")
        chunk = os.read(fd, 4096)
        if not chunk:
            raise RuntimeFailure(f"{verb}: the monitor exited (see shim.log)")
        buf += chunk
    msg: dict[str, object] = loads(buf)
    if "error" in msg:
        raise rebuild_error(str(msg.get("kind")), str(msg["error"]))
    return msg


def refresh(container_dir: str, container_id: str, runc: Runc) -> ContainerState | None:
    """The container's state, repaired first when its monitor is gone (kill -9, crash)."""
    state = read_state(container_dir)
    if not _may_be_alive(state) or is_locked(os.path.join(container_dir, LOCK_FILE)):
        return state  # never ran (pid 0: exited, or a failed start) or watched by a monitor
    state = read_state(container_dir)  # the monitor may have finished in between
    if state is None or not _may_be_alive(state):
        return state
    _force_remove(container_id, runc)
    state = state.exited(137, "container monitor died")
    write_state(container_dir, state)
    return state


def _may_be_alive(state: ContainerState | None) -> bool:
    return state is not None and (bool(state.pid) or state.status == "restarting")


def _force_remove(container_id: str, runc: Runc) -> None:
    if runc.state(container_id) is None:
        return
    try:
        runc.kill(container_id, "KILL", all_processes=True)
    except ScowError:
        pass
    runc.delete(container_id, force=True)


def wait(container_dir: str, container_id: str, runc: Runc,
         timeout: float | None = None, *, any_exit: bool = False,
         watch: ExitWatch | None = None) -> ContainerState:
    """Block until the container has exited (or `timeout` passed); its latest state. With
    `any_exit`, also return at an exit its restart policy restarts (moby's waiters are told
    at each exit): the monitor counts it in restart_count. Without it, the wait is a read of
    the monitor's attach socket (`watch`, else one made here), which the monitor closes once
    the exit is recorded; state.json is polled only after that (or without a monitor)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    if not any_exit:
        from scow.runtime.attach import ExitWatch  # not on start's path (start-up)

        own = watch is None
        watch = ExitWatch(container_dir) if watch is None else watch
        watch.wait(timeout)
        if own:
            watch.close()
    delay = 0.01
    restarts: int | None = None
    while True:
        state = refresh(container_dir, container_id, runc)
        if state is None:
            raise InternalError(f"wait for container {container_id[:12]}: it never started")
        restarts = state.restart_count if restarts is None else restarts
        if state.status == "exited" or (deadline is not None and time.monotonic() >= deadline):
            return state
        if any_exit and state.restart_count > restarts:
            return state
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


def kill(container_dir: str, container_id: str, runc: Runc, signal: str = "KILL", *,
         ends_policy: bool = True) -> None:
    """docker kill: `signal` to the container; with `ends_policy` its restart policy
    stops (it is not restarted after it exits)."""
    state = refresh(container_dir, container_id, runc)
    if state is None or not state.active:
        raise Conflict(f"kill container {container_id[:12]}: container is not running")
    if ends_policy:
        restart.mark_manually_stopped(container_dir)
    if state.status == "running":
        _send(container_id, runc, state, signal)


def stop(container_dir: str, container_id: str, runc: Runc, *, timeout: float = 10.0,
         signal: str = "TERM", on_kill: Callable[[str], None] | None = None) -> ContainerState:
    """docker stop: `signal`, then SIGKILL to every process after `timeout` seconds (KILL
    goes to every process at once); `on_kill(signal)` is called before each signal is sent
    (docker's `kill` events)."""
    state = refresh(container_dir, container_id, runc)
    if state is None or not state.active:
        return state or ContainerState(status="exited")
    restart.mark_manually_stopped(container_dir)  # a restarting one gives up at once
    notify = on_kill or (lambda _: None)
    from scow.runtime.attach import ExitWatch  # not on start's path (start-up)

    watch = ExitWatch(container_dir)  # before the signal: the exit cannot slip past it
    try:
        try:
            notify(signal)
            _send(container_id, runc, state, signal, all_processes=signal == "KILL")
            if is_paused(container_dir):
                runc.resume(container_id)  # docker stop of a paused container: thaw to deliver
        except ScowError:
            pass  # it may have exited meanwhile
        state = wait(container_dir, container_id, runc, timeout, watch=watch)
        if state.status != "exited":
            if signal != "KILL":
                notify("KILL")
            try:
                _send(container_id, runc, state, "KILL", all_processes=True)
            except ScowError:
                pass
            state = wait(container_dir, container_id, runc, 1.0, watch=watch)
        if state.status != "exited" and _still_running(state):  # frozen by a pause scow
            try:  # did not record (a direct `runc pause`, a killed `scow pause`): runc thaws
                runc.kill(container_id, "KILL", all_processes=True)  # the cgroup to deliver
            except ScowError:
                pass
        if state.status != "exited":  # (or killed, its exit not yet recorded: a busy host)
            state = wait(container_dir, container_id, runc, 30.0, watch=watch)
    finally:
        watch.close()
    return state


def _still_running(state: ContainerState) -> bool:
    from scow.runtime.signals import still_running

    return still_running(state.pid, state.pid_start)


def _send(container_id: str, runc: Runc, state: ContainerState, signal: str, *,
          all_processes: bool = False) -> None:
    """`signal` to the container's process (`all_processes`: to every one) through a pidfd
    of the pid `state` records (runtime/signals.py), else by `runc kill` (an older state, a
    restarting run, a signal not known there)."""
    from scow.runtime.signals import signal_process  # not on start's path

    if not signal_process(state.pid, state.pid_start, signal, all_processes=all_processes):
        runc.kill(container_id, signal, all_processes=all_processes)


def remove(container_dir: str, container_id: str, runc: Runc, *, force: bool = False) -> None:
    """Forget the container in runc (killing it when `force`); its folder is the caller's."""
    state = refresh(container_dir, container_id, runc)
    if state is not None and state.status != "exited":
        if not force:
            raise ContainerRunning(
                f"remove container {container_id[:12]}: it is running; stop it first or use -f")
        stop(container_dir, container_id, runc, timeout=0)
    runc.delete(container_id, force=True)


def monitor_running(container_dir: str) -> bool:
    return is_locked(os.path.join(container_dir, LOCK_FILE))


def wait_gone(container_dir: str, timeout: float = 130.0) -> None:
    """Block until the container's monitor has exited (its exit work done, or left to a
    waiter that did it): a pidfd of the monitor (state.json's shim_pid) is polled, then its
    lock checked; the lock alone, every 20 ms, when the pid is unknown or was reused."""
    deadline = time.monotonic() + timeout
    state = read_state(container_dir)
    fd = -1
    if state is not None and state.shim_pid:
        try:
            fd = os.pidfd_open(state.shim_pid)
        except OSError:  # gone already
            fd = -1
    try:
        while monitor_running(container_dir):
            left = deadline - time.monotonic()
            if left <= 0:
                return
            if fd < 0:
                time.sleep(min(0.02, left))
                continue
            select.select([fd], [], [], min(left, 0.5))  # 0.5: a pid reused by another
            os.close(fd)
            fd = -1
    finally:
        if fd >= 0:
            os.close(fd)


def write_restart_policy(container_dir: str, policy: dict[str, object]) -> None:
    """Record the container's restart policy ({"Name", "MaximumRetryCount"}, checked as
    dockerd does); its monitor reads it at the next exit of the process."""
    restart.write_policy(container_dir, policy)


__all__: Sequence[str] = ("Started", "MonitorOptions", "start_container", "refresh", "wait",
                          "kill", "stop", "remove", "monitor_running", "wait_gone",
                          "write_restart_policy")
