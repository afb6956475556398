"""owns: the monitor's hold on one container run (`Shim`): `runc create` with the stdio it
keeps (pipes, or the pty master runc hands over a console socket), `runc start` and the health
check's thread, the pump of output to the log driver's writer and to attach.sock clients and
of the clients' input to the container's stdin, and the exit's record (`finish`: runc delete,
state.json "exited", the `die` event, the attach clients' EOF, the exit command).

The monitor process that drives it (fork, session, lock, the run's order) is runtime/shim.py;
this module loads only in that forked process, never in `start`'s.
"""

from __future__ import annotations

import fcntl
import os
import selectors
import socket
import sys
import time

from scow.fastjson import dumps, loads
from scow.osutil.spawn import DEVNULL
from scow.runtime import attach, exit_claim
from scow.runtime.eventlog import log_event
from scow.runtime.runc import Runc
from scow.runtime.signals import start_time
from scow.runtime.state import ContainerState, rfc3339nano, write_state

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any

    from scow.runtime.health import HealthMonitor
    from scow.runtime.logdriver import LogWriter



class Shim:
    def __init__(self, cdir: str, ready_fd: int) -> None:
        self.cdir = cdir
        with open(os.path.join(cdir, "shim.json"), encoding="utf-8") as f:
            self.cfg: dict[str, Any] = loads(f.read())
        self.cid: str = self.cfg["id"]
        self.runc = Runc(self.cfg["runc"], self.cfg["runc_root"])
        self.ready_fd = ready_fd
        self.started = time.monotonic()
        self.health: HealthMonitor | None = None
        self.state = ContainerState(shim_pid=os.getpid())
        self.outputs: dict[int, str] = {}  # fd -> stream name
        self.stdin_fd: int | None = None
        self.master: int | None = None
        self.clients: dict[socket.socket, attach.FrameReader] = {}
        self.listener = attach.listen(cdir)  # before the caller may connect
        # the shim's own modules load here, in the forked shim, not in `start`'s process
        from scow.runtime.logdriver import log_file, open_writer

        self.logw = open_writer(self.cfg, log_file(cdir, self.cfg.get("log_driver") or ""))

    def report(self, msg: dict[str, Any]) -> None:
        try:
            os.write(self.ready_fd, dumps(msg).encode() + b"\n")
        except OSError:
            pass

    def create(self) -> None:
        pid_file = os.path.join(self.cdir, "container.pid")
        if self.cfg["tty"]:
            self._create_tty(pid_file)
        else:
            self._create_pipes(pid_file)
        with open(pid_file, encoding="ascii") as f:
            pid = int(f.read().strip())
        self.state = self.state._replace(pid=pid, pid_start=start_time(pid), status="created")
        write_state(self.cdir, self.state, durable=False)  # see write_state

    def _create_pipes(self, pid_file: str) -> None:
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        in_r: int | None = None
        if self.cfg["stdin"]:
            in_r, self.stdin_fd = os.pipe()
        try:
            self.runc.create(self.cid, self.cfg["bundle"], pid_file=pid_file,
                             stdin=in_r if in_r is not None else DEVNULL,
                             stdout=out_w, stderr=err_w)
        finally:
            for fd in (out_w, err_w, in_r):
                if fd is not None:
                    os.close(fd)
        self.outputs = {out_r: "stdout", err_r: "stderr"}

    def _create_tty(self, pid_file: str) -> None:
        import shutil
        import tempfile

        tmp = tempfile.mkdtemp(prefix="scow-console-")
        path = os.path.join(tmp, "c.sock")
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            srv.bind(path)
            srv.listen(1)
            proc_err: list[BaseException] = []
            import threading

            def run() -> None:
                try:
                    self.runc.create(self.cid, self.cfg["bundle"], pid_file=pid_file,
                                     console_socket=path)
                except BaseException as exc:  # handed to the main thread
                    proc_err.append(exc)
                    srv.close()

            t = threading.Thread(target=run)
            t.start()
            try:
                conn, _ = srv.accept()
                _, fds, _, _ = socket.recv_fds(conn, 1024, 1)
                conn.close()
                self.master = fds[0]
            except OSError:
                pass
            t.join()
            if proc_err:
                raise proc_err[0]
        finally:
            srv.close()
            shutil.rmtree(tmp, ignore_errors=True)
        assert self.master is not None
        self.outputs = {self.master: "stdout"}
        self.stdin_fd = self.master if self.cfg["stdin"] else None

    def start(self) -> None:
        self.runc.start(self.cid)
        self.state = self.state._replace(status="running", started_at=rfc3339nano(),
                                         exit_code=0, error="", oom_killed=False)
        self.started = time.monotonic()
        write_state(self.cdir, self.state, durable=False)
        log_event(self.cdir, "start")  # here, so that it is logged before the run's `die`
        from scow.runtime.health import HealthMonitor, probe_argv

        if probe_argv(self.cfg.get("healthcheck")):
            self.health = HealthMonitor(self.cdir, self.cid, self.runc, self.cfg["healthcheck"])
            self.health.start()

    def stop_health(self) -> None:
        if self.health is not None:
            self.health.stop()
            self.health = None

    def serve(self) -> int:
        """Pump output/input until the container exits; returns its exit code."""
        from scow.runtime.reaper import reap_orphans

        sel = selectors.DefaultSelector()
        logw = self.logw
        listener = self.listener
        sel.register(listener, selectors.EVENT_READ, "listen")
        for conn in self.clients:
            sel.register(conn, selectors.EVENT_READ, "client")
        for fd in self.outputs:
            os.set_blocking(fd, False)
            sel.register(fd, selectors.EVENT_READ, "out")
        pidfd = os.pidfd_open(self.state.pid)
        sel.register(pidfd, selectors.EVENT_READ, "exit")
        status: int | None = None
        while status is None or self.outputs:
            events = sel.select(0.5 if status is not None else 1.0)
            if not events and status is not None:
                break  # output fds held open by a stray process: stop waiting
            if status is None:  # see scow.runtime.reaper
                reap_orphans(self.state.pid, self.health.busy if self.health else None)
            for key, _ in events:
                if key.data == "listen":
                    self._accept(sel, listener)
                elif key.data == "out":
                    self._pump(sel, key.fd, logw)
                elif key.data == "exit":
                    sel.unregister(pidfd)
                    status = _wait_status(self.state.pid)
                else:
                    self._client_input(sel, key.fileobj)  # type: ignore[arg-type]
        os.close(pidfd)
        sel.close()
        logw.flush_partial()
        return status if status is not None else 137

    def _accept(self, sel: selectors.BaseSelector, listener: socket.socket) -> None:
        conn, _ = listener.accept()
        conn.settimeout(10.0)  # a client that stops reading for 10 s is dropped
        self.clients[conn] = attach.FrameReader()
        sel.register(conn, selectors.EVENT_READ, "client")

    def _pump(self, sel: selectors.BaseSelector, fd: int, logw: LogWriter) -> None:
        stream = self.outputs[fd]
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return
        except OSError:  # EIO on a pty master once the slave side is gone
            data = b""
        if not data:
            sel.unregister(fd)
            del self.outputs[fd]
            if fd != self.master:
                os.close(fd)
            return
        logw.write(stream, data)
        frame = attach.frame(attach.STDOUT if stream == "stdout" else attach.STDERR, data)
        for c in list(self.clients):
            try:
                c.sendall(frame)
            except OSError:
                self._drop(sel, c)

    def _client_input(self, sel: selectors.BaseSelector, conn: socket.socket) -> None:
        try:
            data = conn.recv(65536)
        except OSError:
            data = b""
        for kind, payload in self.clients[conn].feed(data):
            if kind == attach.STDIN and self.stdin_fd is not None:
                _write_all(self.stdin_fd, payload)
            elif kind == attach.CLOSE_STDIN and self.stdin_fd is not None:
                if self.stdin_fd != self.master:
                    os.close(self.stdin_fd)
                    self.stdin_fd = None
            elif kind == attach.RESIZE and self.master is not None:
                fcntl.ioctl(self.master, __import__("termios").TIOCSWINSZ,
                            payload[:4] + b"\0\0\0\0")
        if not data:
            self._drop(sel, conn)

    def _drop(self, sel: selectors.BaseSelector, conn: socket.socket) -> None:
        if conn in self.clients:
            del self.clients[conn]
            sel.unregister(conn)
            conn.close()

    def finish(self, exit_code: int, error: str = "") -> None:
        from scow.runtime.resources import oom_killed

        self.stop_health()
        self.logw.close()
        self.listener.close()
        try:
            os.unlink(os.path.join(self.cdir, attach.SOCKET))
        except OSError:
            pass
        oom = oom_killed(self.cid)  # read before runc delete removes the cgroup
        try:  # before the exit is recorded: whoever reads "exited" finds runc's record gone
            self.runc.delete(self.cid, force=True)
        except Exception:  # noqa: BLE001 - the record is best-effort once the process is gone
            pass
        self.state = self.state.exited(exit_code, error or self.state.error)._replace(
            oom_killed=oom)
        write_state(self.cdir, self.state)
        self.log_die(exit_code)
        for c in self.clients:  # after the state: a client's EOF means the exit is recorded
            try:
                c.sendall(attach.frame(attach.EXIT, str(exit_code).encode()))
            except OSError:
                pass
            finally:
                c.close()
        argv = self.cfg.get("exit_command") or []
        if argv and exit_claim.done_by_waiter(self.cdir):
            sys.stderr.write("exit work done by the waiting run\n")
        elif argv:
            import subprocess

            subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=120, check=False)

    def log_die(self, exit_code: int) -> None:
        """Append docker's `die` of the container to the root's event log (the monitor is the
        one process that sees every exit, whoever caused it)."""
        if self.state.oom_killed:  # docker: `oom` (from the runtime's OOM event) before `die`
            log_event(self.cdir, "oom")
        extra = {"exitCode": str(exit_code)}
        if self.started:  # docker 23+: how long the process ran, in whole seconds
            extra["execDuration"] = str(max(0, int(time.monotonic() - self.started)))
        log_event(self.cdir, "die", extra)


def _wait_status(pid: int) -> int:
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return 255  # not our child (should not happen when we are the subreaper)
    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(
        status)


def _write_all(fd: int, data: bytes) -> None:
    try:
        while data:
            data = data[os.write(fd, data):]
    except OSError:
        pass

