"""owns: starting helper programs (runc, netavark, unshare, ip, iptables) without subprocess.

subprocess costs a cold command ~24 M instructions to import (locale, threading, selectors,
signal, warnings), more than the rest of `start`'s own work around a network. The children
here are subprocess's: only the given stdio inherited (fds this process inherited itself and
left open, a socket-activation socket or a caller's lock, are closed in the child as
subprocess's close_fds does), SIGPIPE and SIGXFSZ back to their defaults (Python ignores
both), found on PATH, and killed and reaped when the caller is interrupted or a deadline
passes.

- `spawn_wait`: posix_spawn with the caller's choice of stdio, then wait.
- `run_captured`: stdin given as bytes, stdout and stderr read back, a deadline; with
  `die_with_parent` the child gets PR_SET_PDEATHSIG SIGKILL before its exec (a fork:
  posix_spawn cannot set it), with everything the child runs prepared in the parent (libc's
  prctl found, the program's path resolved), so a threaded caller's child takes no lock
  another thread held at the fork and imports nothing.
"""

from __future__ import annotations

import contextlib
import os
import time

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import IO, Any

    _File = int | IO[Any] | None  # an alias for annotations only

DEVNULL = -3  # subprocess.DEVNULL's value, without subprocess
_SIGPIPE, _SIGXFSZ, _SIGKILL = 13, 25, 9  # (Linux)
_PR_SET_PDEATHSIG = 1
_EINVAL = 22


class SpawnTimeout(OSError):
    """`run_captured`'s child outlived its deadline (it was killed and reaped)."""


def spawn_wait(argv: list[str], *, stdin: _File = DEVNULL, stdout: _File = DEVNULL,
               stderr: _File = DEVNULL) -> int:
    """Run `argv` (searched in PATH) with these stdio (fds, files, DEVNULL, or None: this
    process's own) and wait for it; its exit status as subprocess gives it (-N: killed by
    signal N)."""
    null = -1
    actions = []
    for target, given in ((0, stdin), (1, stdout), (2, stderr)):
        if given is None:
            continue
        if given == DEVNULL:
            if null < 0:
                null = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
            given = null
        fd = given if isinstance(given, int) else given.fileno()
        actions.append((os.POSIX_SPAWN_DUP2, fd, target))
    try:
        pid = os.posix_spawnp(argv[0], argv, os.environ, setsigdef=(_SIGPIPE, _SIGXFSZ),
                              file_actions=actions + _close_inherited())
    finally:
        if null >= 0:
            os.close(null)
    return _wait(pid)


def run_captured(argv: list[str], *, input: bytes = b"", timeout: float,
                 die_with_parent: bool = False) -> tuple[int, bytes, bytes]:
    """Run `argv` with `input` on its stdin; (exit status, stdout, stderr). Past `timeout`
    seconds (its pipes still open or not) the child is killed and SpawnTimeout raised;
    OSError when it cannot start."""
    deadline = time.monotonic() + timeout
    pipes = [_pipe() for _ in range(3)]  # (read, write) for stdin, out, err
    child_ends = (pipes[0][0], pipes[1][1], pipes[2][1])
    try:
        if die_with_parent:
            pid = _fork_exec(argv, child_ends, _prctl())
        else:
            pid = os.posix_spawnp(argv[0], argv, os.environ, setsigdef=(_SIGPIPE, _SIGXFSZ),
                                  file_actions=[(os.POSIX_SPAWN_DUP2, fd, target)
                                                for target, fd in enumerate(child_ends)]
                                  + _close_inherited())
    except BaseException:
        for r, w in pipes:
            os.close(r)
            os.close(w)
        raise
    for fd in child_ends:
        os.close(fd)
    try:
        out, err = _communicate(pipes[0][1], pipes[1][0], pipes[2][0], input, deadline)
        return _wait_until(pid, deadline), out, err
    except SpawnTimeout:
        _kill(pid)
        raise SpawnTimeout(f"{argv[0]} timed out after {timeout:g} s") from None
    except BaseException:
        _kill(pid)
        raise


def _communicate(stdin: int, stdout: int, stderr: int, data: bytes,
                 deadline: float) -> tuple[bytes, bytes]:
    """Write `data` to `stdin` (then close it) while reading `stdout` and `stderr` to their
    ends, all by the deadline; every fd given is closed here."""
    import select

    poller = select.poll()
    chunks: dict[int, list[bytes]] = {stdout: [], stderr: []}
    view, open_fds = memoryview(data), {stdout, stderr}
    if data:
        os.set_blocking(stdin, False)
        poller.register(stdin, select.POLLOUT)
        open_fds.add(stdin)
    else:
        os.close(stdin)
    for fd in (stdout, stderr):
        poller.register(fd, select.POLLIN)
    try:
        while open_fds:
            left = deadline - time.monotonic()
            if left <= 0:
                raise SpawnTimeout("deadline passed")
            for fd, _ in poller.poll(left * 1000):
                if fd == stdin:
                    try:
                        view = view[os.write(stdin, view[:65536]):]
                    except BrokenPipeError:  # the child does not read it all: as subprocess
                        view = view[:0]
                    if not view:
                        poller.unregister(stdin)
                        open_fds.discard(stdin)
                        os.close(stdin)
                    continue
                block = os.read(fd, 65536)
                if block:
                    chunks[fd].append(block)
                else:
                    poller.unregister(fd)
                    open_fds.discard(fd)
    finally:
        for fd in open_fds | {stdout, stderr}:
            with contextlib.suppress(OSError):
                os.close(fd)
    return b"".join(chunks[stdout]), b"".join(chunks[stderr])


def _wait_until(pid: int, deadline: float) -> int:
    """`_wait` for a child that closed its output, bounded by the deadline (a child may close
    its pipes and go on running): its pidfd polled, then reaped."""
    import select

    fd = os.pidfd_open(pid)
    try:
        poller = select.poll()
        poller.register(fd, select.POLLIN)  # readable once the child has ended
        if not poller.poll(max(deadline - time.monotonic(), 0) * 1000):
            raise SpawnTimeout("deadline passed")
    finally:
        os.close(fd)
    return _wait(pid)


def _pipe() -> tuple[int, int]:
    """A close-on-exec pipe whose ends are above 2, so that giving them to a child as its
    stdio never overwrites one end with another (this process may have closed 0, 1 or 2)."""
    import fcntl

    ends = []
    for fd in os.pipe2(os.O_CLOEXEC):
        if fd < 3:
            high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)
            os.close(fd)
            fd = high
        ends.append(fd)
    return ends[0], ends[1]


def _close_inherited() -> list[tuple[int, int]]:
    """posix_spawn's close actions for the inheritable fds above 2 (this process inherited
    them and left them open): subprocess's close_fds."""
    out = []
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd > 2:
            with contextlib.suppress(OSError):  # the listing's own fd, closed by now
                if os.get_inheritable(fd):
                    out.append((os.POSIX_SPAWN_CLOSE, fd))
    return out


def _prctl() -> Callable[..., int]:
    """libc's prctl, found in the parent (a lookup takes the dynamic loader's lock)."""
    from scow.osutil import syscalls

    return syscalls.function("prctl")


def _program(name: str) -> str:
    """`name` found on PATH as execvp finds it (in the parent: os.execvpe would import
    warnings in the child)."""
    if "/" in name:
        return name
    for folder in (os.environ.get("PATH") or os.defpath).split(os.pathsep):
        path = os.path.join(folder or ".", name)
        if os.access(path, os.X_OK) and not os.path.isdir(path):
            return path
    raise FileNotFoundError(2, os.strerror(2), name)


def _fork_exec(argv: list[str], stdio: tuple[int, int, int], prctl: Callable[..., int]) -> int:
    """fork; the child sets its death signal, takes `stdio` as 0, 1, 2, closes every other
    fd and execs `argv`. Only calls prepared here run in the child. An exec that fails is
    this process's OSError (its errno comes back on a close-on-exec pipe, as subprocess
    does); interrupted meanwhile, the child is killed and reaped."""
    import _signal  # the interpreter's own (signal.py would load enum)

    program, parent, env = _program(argv[0]), os.getpid(), os.environ
    report_r, report_w = os.pipe2(os.O_CLOEXEC)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = _EINVAL
        try:
            prctl(_PR_SET_PDEATHSIG, _SIGKILL, 0, 0, 0)
            if os.getppid() != parent:  # the parent died before the death signal was set
                os._exit(127)
            for target, fd in enumerate(stdio):  # (all above 2: `_pipe`)
                os.dup2(fd, target)  # dup2 clears close-on-exec on the copy
            os.closerange(3, report_w)
            os.closerange(report_w + 1, os.sysconf("SC_OPEN_MAX"))
            _signal.signal(_SIGPIPE, _signal.SIG_DFL)
            _signal.signal(_SIGXFSZ, _signal.SIG_DFL)
            os.execve(program, argv, env)
        except OSError as exc:
            code = exc.errno or _EINVAL
        finally:
            with contextlib.suppress(OSError):
                os.write(report_w, str(code).encode())
            os._exit(127)
    os.close(report_w)
    try:
        failed = os.read(report_r, 32)  # EOF at the exec (or the child's end)
    except BaseException:
        _kill(pid)
        raise
    finally:
        os.close(report_r)
    if failed:
        _wait(pid)
        err = int(failed)
        raise OSError(err, os.strerror(err), argv[0]) from None
    return pid


def _wait(pid: int) -> int:
    """The exit status of `pid` (-N: killed by signal N); interrupted, the child goes too."""
    try:
        _, status = os.waitpid(pid, 0)
    except BaseException:
        _kill(pid)
        raise
    return os.waitstatus_to_exitcode(status)


def _kill(pid: int) -> None:
    with contextlib.suppress(OSError):
        os.kill(pid, _SIGKILL)
        os.waitpid(pid, 0)
