"""owns: the per-container monitor process (`python -m scow.runtime.shim DIR READY_FD GO_FD`,
or `spawn_forked` from a single-threaded caller).

It double-forks away from its caller, calls setsid and becomes a child subreaper, holds the
flock on <container_dir>/shim.lock while it lives, and then:
  1. `runc create` with the container's stdio = pipes it keeps (or, for a tty, the pty master
     runc hands it over a console socket); reports {"pid": N} (or {"error", "kind"}) on READY;
  2. waits for "start" on GO (EOF = abort: the container is deleted), runs `runc start`,
     writes state.json "running" and reports {"ok": true};
  3. copies output to the log driver's writer and to attach.sock clients, input from the
     clients to the container's stdin; runs the health check's probes in a thread
     (scow.runtime.health); collects the exit status (it is the subreaper);
  4. runs it again while its restart policy asks (restart.serve_with_policy: "restarting",
     back-off, `runc delete`, create and start; mount, log and attach clients stay); else
  5. runs `runc delete`, writes state.json "exited" with exit code and finish time, closes
     the attach clients (a client's EOF tells it the exit is recorded: `stop` waits so), runs
     the exit command (an argv from shim.json) unless the process waiting for the exit (an
     attached `run`, a `stop`) did the exit work itself (runtime/exit_claim.py), and exits.
Configuration: <container_dir>/shim.json, written by monitor.start_container.

The monitor's hold on the run itself (pipes, pty, output pump, the exit's record) is
`Shim`, runtime/shim_container.py, loaded by `run` in the forked monitor only.
"""

from __future__ import annotations

import fcntl
import os
import sys

from scow.errors import ScowError
from scow.runtime import restart
from scow.runtime.state import LOCK_FILE, write_state

_PR_SET_CHILD_SUBREAPER = 36


def _become_monitor() -> None:
    """Leave the caller's session, adopt orphans (runc's container process), shrug off
    the signals meant for a terminal's foreground group."""
    import _signal  # the C module: signal.py builds enum tables (~10 M instructions)
    import ctypes  # here, in the monitor: `start`'s own process never loads it for this

    try:
        os.setsid()
    except OSError:
        pass  # already a session leader
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    for signum in (_signal.SIGPIPE, _signal.SIGHUP, _signal.SIGINT):
        _signal.signal(signum, _signal.SIG_IGN)
    _signal.signal(_signal.SIGTERM, _signal.SIG_DFL)


def spawn_forked(cdir: str, ready_fd: int, go_fd: int) -> None:
    """Start the monitor by double-forking the caller (no new interpreter: ~1 ms instead of
    ~90 ms). Only for a single-threaded caller; the monitor keeps just its own fds."""
    pid = os.fork()
    if pid:
        os.waitpid(pid, 0)
        return
    code = 1
    try:  # pragma: no cover - runs in the forked children
        if os.fork() > 0:
            os._exit(0)
        log = os.open(os.path.join(cdir, "shim.log"), os.O_WRONLY | os.O_APPEND | os.O_CREAT,
                      0o600)
        null = os.open(os.devnull, os.O_RDWR)
        for target, fd in ((0, null), (1, null), (2, log)):
            os.dup2(fd, target)
        keep = {0, 1, 2, ready_fd, go_fd}
        for name in os.listdir("/proc/self/fd"):
            if int(name) not in keep:
                try:
                    os.close(int(name))
                except OSError:
                    pass
        os.chdir("/")
        _become_monitor()
        code = run(cdir, ready_fd, go_fd)
    except BaseException:  # noqa: BLE001
        import traceback

        traceback.print_exc()
    finally:
        os._exit(code)


def main(argv: list[str]) -> int:
    cdir, ready_fd, go_fd = argv[0], int(argv[1]), int(argv[2])
    if os.fork() > 0:
        os._exit(0)
    _become_monitor()
    return run(cdir, ready_fd, go_fd)


def run(cdir: str, ready_fd: int, go_fd: int) -> int:
    """The monitor's life: create, wait for "start", serve, finish."""
    from scow.runtime.shim_container import Shim  # the monitor's own module (start-up)

    lock_fd = os.open(os.path.join(cdir, LOCK_FILE), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    fcntl.flock(lock_fd, fcntl.LOCK_EX)
    shim = Shim(cdir, ready_fd)
    try:
        shim.create()
    except Exception as exc:  # noqa: BLE001 - reported to the caller, which raises it
        code = exc.exit_code if isinstance(exc, ScowError) and exc.exit_code > 1 else 128
        write_state(cdir, shim.state._replace(status="created", pid=0, exit_code=code,
                                  error=str(exc)))
        shim.report({"error": str(exc), "kind": type(exc).__name__})  # after the state
        return 1
    shim.report({"pid": shim.state.pid})
    with os.fdopen(go_fd, "rb") as go:
        word = go.readline().strip()
    if word != b"start":
        shim.runc.delete(shim.cid, force=True)
        write_state(cdir, shim.state._replace(status="created", pid=0, error="start aborted"))
        return 1
    try:
        shim.start()
    except Exception as exc:  # noqa: BLE001
        write_state(cdir, shim.state.exited(128, str(exc)))
        shim.report({"error": str(exc), "kind": type(exc).__name__})  # after the state
        shim.finish(128, str(exc))
        return 1
    shim.report({"ok": True, "started_at": shim.state.started_at})
    os.close(ready_fd)
    shim.ready_fd = -1
    shim.finish(restart.serve_with_policy(shim))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
