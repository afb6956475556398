"""owns: exec instances (docker's exec create / start / inspect): the records of the execs a
long-lived process (the Engine API service) made, in memory, and running one with its stdio
on file descriptors the caller gives. A daemonless CLI process never needs them: its exec
is create-and-start in one call (`exec`)."""

from __future__ import annotations

import _thread  # threading's own lock: threading costs start-up
import os

from scow.engine.containers.base import ContainerBase
from scow.errors import Conflict, InvalidArgument, NotFound
from scow.ids import random_id

TYPE_CHECKING = False  # mypy honours the name; typing and dataclasses cost start-up
if TYPE_CHECKING:
    from dataclasses import dataclass, field
    from typing import Any
else:
    from scow.typeshim import dataclass, field


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
    if TYPE_CHECKING:  # run.py's, in the assembled service
        def exec(self, name: str, argv: list[str], *, env: list[str] | None = None,
                 user: str = "", workdir: str = "", tty: bool = False, detach: bool = False,
                 stdin: int | None = None, stdout: int | None = None,
                 stderr: int | None = None, exec_id: str = "", pid_file: str = ""
                 ) -> int | None: ...

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
        exit code (None when detached: it stays Running until its process ends, its exit
        code unknown to scow)."""
        import shutil
        import tempfile

        rec = self.exec_inspect(exec_id)
        with self._exec_lock:
            if rec.started:
                raise Conflict(f"Error: Exec command {exec_id} has already run")
            rec.started = rec.running = True
        tmp = tempfile.mkdtemp(prefix="scow-exec-pid-") if detach else ""
        pid_file = os.path.join(tmp, "pid") if detach else ""
        try:
            code = self.exec(rec.container_id, rec.argv, env=rec.env, user=rec.user,
                             workdir=rec.workdir, tty=rec.tty, detach=detach, stdin=stdin,
                             stdout=stdout, stderr=stderr, exec_id=rec.id, pid_file=pid_file)
            if detach:
                _watch_detached(rec, pid_file)
        except BaseException:
            rec.running = False
            rec.exit_code = 126
            raise
        finally:
            if tmp:
                shutil.rmtree(tmp, ignore_errors=True)
        if not detach:
            rec.exit_code = code
            rec.running = False
        return code


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
