"""owns: docker exec: running a process in a running container (`exec`, docker-py's
`exec_run`), with the container's isolation and its events; and exec instances (docker's
exec create / start / inspect): the records of the execs a long-lived process (the Engine
API service) made, in memory, and running one with its stdio on file descriptors the caller
gives. A daemonless CLI process never needs them: its exec is create-and-start in one call
(`exec`)."""

from __future__ import annotations

import _thread  # threading's own lock: threading costs start-up
import os

from scow.engine.containers.base import ContainerBase
from scow.errors import Conflict, InvalidArgument, NotFound
from scow.ids import random_id

TYPE_CHECKING = False  # mypy honours the name; typing and dataclasses cost start-up
if TYPE_CHECKING:
    from dataclasses import dataclass, field
    from typing import Any, NamedTuple

    from scow.runtime.exec import ExecConfig
    from scow.store.containers import ContainerRecord
else:
    from scow.typeshim import NamedTuple, dataclass, field


class ExecResult(NamedTuple):
    """What docker-py's exec_run returns: the exit code (None when detached) and the output
    (bytes; (stdout, stderr) with demux)."""

    exit_code: int | None
    output: bytes | tuple[bytes | None, bytes | None]


def _exec_isolation(host: dict[str, Any]) -> dict[str, Any]:
    """The container's capabilities, no-new-privileges and rlimits, which its exec processes
    get too (runc applies the container's seccomp filter to them itself)."""
    from scow.engine.containers.resources import ulimits_of
    from scow.engine.containers.security import isolation
    from scow.runtime.capabilities import container_caps
    from scow.runtime.spec import rlimits

    privileged, nnp, _ = isolation(host, "")  # the profile is not needed here
    caps = container_caps(host.get("CapAdd") or (), host.get("CapDrop") or (),
                          privileged=privileged)
    return {"caps": tuple(caps), "no_new_privileges": nnp,
            "rlimits": tuple(rlimits(ulimits_of(host)))}


@dataclass
class ExecRecord:
    """One exec instance: what `exec create` asked for and how its run went."""

    id: str
    container_id: str
    argv: list[str]
    env: list[str] = field(default_factory=list)
    user: str = ""
    workdir: str = ""
    tty: bool = False
    privileged: bool = False
    attach: tuple[bool, bool, bool] = (False, True, True)  # stdin, stdout, stderr
    running: bool = False
    started: bool = False
    exit_code: int | None = None

    def inspect(self) -> dict[str, Any]:
        """docker's GET /exec/{id}/json object."""
        config: dict[str, Any] = {"tty": self.tty, "entrypoint": self.argv[0],
                                  "arguments": self.argv[1:], "privileged": self.privileged}
        if self.user:
            config["user"] = self.user
        return {"ID": self.id, "Running": self.running, "ExitCode": self.exit_code,
                "ProcessConfig": config, "OpenStdin": self.attach[0],
                "OpenStdout": self.attach[1], "OpenStderr": self.attach[2],
                "CanRemove": False, "ContainerID": self.container_id, "DetachKeys": "",
                "Pid": 0}


class ContainerExecs(ContainerBase):
    _exec_lock = _thread.allocate_lock()  # guards every service's records (held only briefly)

    @property
    def _exec_records(self) -> dict[str, ExecRecord]:
        records: dict[str, ExecRecord] = self.__dict__.setdefault("_execs", {})
        return records

    def exec_create(self, name: str, argv: list[str], *, env: list[str] | None = None,
                    user: str = "", workdir: str = "", tty: bool = False,
                    privileged: bool = False, attach_stdin: bool = False,
                    attach_stdout: bool = True, attach_stderr: bool = True) -> str:
        """docker exec create: an exec instance of `argv` in the running container; its ID."""
        if not argv:
            raise InvalidArgument("No exec command specified")
        if privileged:
            raise InvalidArgument("exec create: Privileged is not supported by scow")
        record = self.records.get(name)
        self._check_running(record.id)
        rec = ExecRecord(random_id(), record.id, list(argv), list(env or []), user, workdir,
                         tty, privileged, (attach_stdin, attach_stdout, attach_stderr))
        with self._exec_lock:
            self._exec_records[rec.id] = rec
        from scow.engine.events import exec_action

        self.event(record, f"exec_create: {exec_action(rec.argv)[1]}", {"execID": rec.id})
        return rec.id

    def _check_running(self, container_id: str) -> None:
        record = self.records.get(container_id)
        state, _, _ = self.status_of(record)
        if state == "paused":
            raise Conflict(f"Container {container_id} is paused, unpause the container "
                           "before exec")
        if state != "running":
            raise Conflict(f"Container {container_id} is not running")

    def exec_inspect(self, exec_id: str) -> ExecRecord:
        """The exec instance `exec_id` (NotFound when there is none)."""
        with self._exec_lock:
            rec = self._exec_records.get(exec_id)
        if rec is None:
            raise NotFound(f"No such exec instance: {exec_id}")
        return rec

    def exec_start(self, exec_id: str, *, detach: bool = False, stdin: int | None = None,
                   stdout: int | None = None, stderr: int | None = None) -> int | None:
        """docker exec start: run the exec instance once, its stdio on the given fds; its
        exit code (None when detached: it stays Running until its process ends, and then
        has its ExitCode, as dockerd's)."""
        rec = self.exec_inspect(exec_id)
        with self._exec_lock:
            if rec.started:
                raise Conflict(f"Error: Exec command {exec_id} has already run")
            rec.started = rec.running = True
        try:
            if detach:
                self._exec_detached(rec)
                return None
            code = self.exec(rec.container_id, rec.argv, env=rec.env, user=rec.user,
                             workdir=rec.workdir, tty=rec.tty, stdin=stdin, stdout=stdout,
                             stderr=stderr, exec_id=rec.id)
        except BaseException:
            rec.running = False
            rec.exit_code = 126
            raise
        rec.exit_code = code
        rec.running = False
        return code

    def _exec_detached(self, rec: ExecRecord) -> None:
        """A detached exec: `runc exec` (not `-d`: runc stays its parent and tells its exit
        code) waited for by a thread that records the exit; returns once the process has
        started (its pid file written), raising what a failed start raised."""
        import shutil
        import tempfile
        import time

        if rec.tty:  # a terminal needs runc's console socket: runc -d, no exit code known
            self._exec_detached_tty(rec)
            return
        tmp = tempfile.mkdtemp(prefix="scow-exec-pid-")
        pid_file, null = os.path.join(tmp, "pid"), os.open(os.devnull, os.O_RDWR)
        done: list[BaseException | int | None] = []

        def run() -> None:
            try:
                done.append(self.exec(rec.container_id, rec.argv, env=rec.env, user=rec.user,
                                      workdir=rec.workdir, stdin=null, stdout=null,
                                      stderr=null, exec_id=rec.id, pid_file=pid_file))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller or dropped
                done.append(exc)
            finally:
                os.close(null)
                shutil.rmtree(tmp, ignore_errors=True)
                code = done[-1] if done else None
                rec.exit_code = code if isinstance(code, int) else 126
                rec.running = False

        _thread.start_new_thread(run, ())
        while not done and not os.path.exists(pid_file):
            time.sleep(0.005)
        if done and isinstance(done[0], BaseException):
            raise done[0]

    def _exec_detached_tty(self, rec: ExecRecord) -> None:
        import shutil
        import tempfile

        tmp = tempfile.mkdtemp(prefix="scow-exec-pid-")
        pid_file = os.path.join(tmp, "pid")
        try:
            self.exec(rec.container_id, rec.argv, env=rec.env, user=rec.user,
                      workdir=rec.workdir, tty=True, detach=True, exec_id=rec.id,
                      pid_file=pid_file)
            _watch_detached(rec, pid_file)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def exec(self, name: str, argv: list[str], *, env: list[str] | None = None,
                user: str = "", workdir: str = "", tty: bool = False, detach: bool = False,
                stdin: int | None = None, stdout: int | None = None,
                stderr: int | None = None, exec_id: str = "", pid_file: str = ""
                ) -> int | None:
        """docker exec: the process's exit code (None when detached); its output goes to the
        `stdout`/`stderr` fds (this process's own when None). `exec_id`: the exec instance
        `exec_create` made (and logged); without it the exec is created here. `pid_file`:
        where a detached exec's pid is written."""
        from scow.runtime.exec import exec_process
        from scow.runtime.state import is_paused

        record = self.records.get(name)
        st = self.state(record)
        if st is None or st.status != "running":
            raise Conflict(f"Container {record.id} is not running")
        if is_paused(self.folder(record.id)):
            raise Conflict(f"Container {record.id} is paused, unpause the container before exec")
        if not argv:
            raise InvalidArgument("exec: no command specified")
        cfg, rootfs = self._exec_config(record, argv, env or [], user, workdir, tty)
        from scow.engine.events import exec_action

        new_id, shown = exec_action(argv)
        if not exec_id:
            exec_id = new_id
            self.event(record, f"exec_create: {shown}", {"execID": exec_id})
        self.event(record, f"exec_start: {shown}", {"execID": exec_id})
        code = exec_process(self.runc, record.id, cfg, rootfs, detach=detach, stdin=stdin,
                            stdout=stdout, stderr=stderr, pid_file=pid_file)
        if code is not None:
            self.event(record, "exec_die", {"execID": exec_id, "exitCode": code})
        return code

    def _exec_config(self, record: ContainerRecord, argv: list[str], env: list[str],
                     user: str, workdir: str, tty: bool) -> tuple[ExecConfig, str]:
        """The exec's process settings and the rootfs it runs in. As moby's exec, they start
        from the running container's process as its bundle has it (capabilities, rlimits,
        no-new-privileges; its user unless `user` is given); from its HostConfig only when
        the bundle cannot be read."""
        from scow.engine.containers.config import merge_env
        from scow.runtime.exec import ExecConfig, container_process

        config = record.doc["Config"]
        bundle = container_process(self.folder(record.id))
        rootfs, process = bundle or (self._running_rootfs(record), None)
        isolation = _exec_isolation(record.doc["HostConfig"]) if process is None else {}
        cfg = ExecConfig(argv=tuple(argv), env=tuple(merge_env(config.get("Env") or [], env)),
                         **isolation, container=process,
                         user=user or ("" if process else config.get("User") or ""),
                         workdir=workdir or config.get("WorkingDir") or "/", tty=tty,
                         hostname=config.get("Hostname") or "")
        return cfg, rootfs

    def _running_rootfs(self, record: ContainerRecord) -> str:
        """The running container's rootfs as the driver has it (for a bundle that cannot be
        read: the bundle names it)."""
        return self.store.driver.metadata(record.mount_id or "").get("MergedDir") or \
            self.store.driver.layer_path(record.mount_id or "")

    def exec_run(self, name: str, cmd: str | list[str], *, stdout: bool = True,
                 stderr: bool = True, tty: bool = False, user: str = "", workdir: str = "",
                 environment: list[str] | dict[str, str] | None = None, detach: bool = False,
                 demux: bool = False) -> ExecResult:
        """docker-py's exec_run: run `cmd` in the running container and collect its output
        (both streams in one, or (stdout, stderr) with `demux`)."""
        import shlex
        import tempfile

        argv = shlex.split(cmd) if isinstance(cmd, str) else list(cmd)
        env = [f"{k}={v}" for k, v in environment.items()] if isinstance(environment, dict) \
            else list(environment or [])
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            null = os.open(os.devnull, os.O_WRONLY | os.O_CLOEXEC)
            try:
                code = self.exec(name, argv, env=env, user=user, workdir=workdir, tty=tty,
                                 detach=detach, stdout=out.fileno() if stdout else null,
                                 stderr=(err if demux else out).fileno() if stderr else null)
            finally:
                os.close(null)
            out.seek(0)
            err.seek(0)
            if demux:
                return ExecResult(code, (out.read() or None, err.read() or None))
            return ExecResult(code, out.read())


def _watch_detached(rec: ExecRecord, pid_file: str) -> None:
    """Mark `rec` not Running once the detached process of `pid_file` ends (a thread on its
    pidfd); at once when it is already gone or the pid cannot be read."""
    try:
        with open(pid_file, encoding="ascii") as f:
            pidfd = os.pidfd_open(int(f.read().strip()))
    except (OSError, ValueError):
        rec.running = False
        return

    def wait() -> None:
        import select

        try:
            select.select([pidfd], [], [])
        finally:
            os.close(pidfd)
            rec.running = False

    _thread.start_new_thread(wait, ())
