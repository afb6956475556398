"""owns: `exec` into a running container: its own process spec, run by `runc exec`.

Attached without a tty, runc gets the caller's stdio fds and its exit code is the process's
(runc's own failures are told apart by its JSON log). With a tty, runc runs detached with a
console socket, from a forked child of the caller that becomes a child subreaper
(PR_SET_CHILD_SUBREAPER) so that it can reap the exec'd process and get its exit code; the
child copies bytes between the caller's stdio and the pty master and exits with that code.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable

from scow.errors import ScowError
from scow.fastjson import dumps, loads
from scow.osutil.spawn import DEVNULL, spawn_wait
from scow.runtime.capabilities import DEFAULT_CAPS
from scow.runtime.procenv import process_env
from scow.runtime.runc import Runc, last_error, rebuild_error, translate
from scow.runtime.user import resolve_user

TYPE_CHECKING = False  # mypy honours the name; dataclasses costs start-up (typeshim.py)
if TYPE_CHECKING:
    from dataclasses import dataclass
    from typing import Any
else:
    from scow.typeshim import dataclass


@dataclass(frozen=True)
class ExecConfig:
    argv: tuple[str, ...]
    env: tuple[str, ...] = ()  # the container's env followed by `exec -e` values
    user: str = ""
    workdir: str = "/"
    tty: bool = False
    hostname: str = ""
    caps: tuple[str, ...] = DEFAULT_CAPS  # the container's (docker: exec gets those)
    no_new_privileges: bool = False  # the container's
    rlimits: tuple[dict[str, object], ...] = ()  # the container's (--ulimit), as moby's exec
    # the process object of the container's bundle (`container_process`): as moby's exec
    # (which starts from the container's spec.Process), its capabilities, no-new-privileges
    # and rlimits are taken instead of the three fields above, and its user and HOME when
    # `user` is "" (no /etc/passwd or /etc/group read again)
    container: dict[str, Any] | None = None


def container_process(container_dir: str) -> tuple[str, dict[str, Any]] | None:
    """(root.path, process) of <container_dir>/config.json, the bundle of the container's
    current run; None when there is no readable one."""
    try:
        with open(os.path.join(container_dir, "config.json"), "rb") as f:
            spec = loads(f.read())
        path, process = spec["root"]["path"], spec["process"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(path, str) or not os.path.isabs(path) or not isinstance(process, dict):
        return None
    return path, process


def process_spec(cfg: ExecConfig, rootfs: str) -> dict[str, object]:
    """The OCI process object for `runc exec --process`."""
    base = cfg.container
    if base is not None and not cfg.user:
        ids = base.get("user") or {}
        uid, gid = int(ids.get("uid", 0)), int(ids.get("gid", 0))
        gids = [int(g) for g in ids.get("additionalGids") or ()]
        home = next((e[5:] for e in base.get("env") or () if e.startswith("HOME=")), "/")
    else:
        user = resolve_user(rootfs, cfg.user)
        uid, gid, gids, home = user.uid, user.gid, list(user.additional_gids), user.home
    if base is not None:
        caps = list((base.get("capabilities") or {}).get("bounding") or ())
        nnp, limits = bool(base.get("noNewPrivileges")), list(base.get("rlimits") or ())
    else:
        caps, nnp, limits = list(cfg.caps), cfg.no_new_privileges, list(cfg.rlimits)
    eff = caps if uid == 0 else []
    return {
        "terminal": cfg.tty, "args": list(cfg.argv), "cwd": cfg.workdir or "/",
        "env": process_env(cfg.env, hostname=cfg.hostname, tty=cfg.tty, home=home),
        "user": {"uid": uid, "gid": gid, "additionalGids": gids},
        "capabilities": {"bounding": caps, "effective": eff, "permitted": eff},
        "noNewPrivileges": nnp,
        **({"rlimits": limits} if limits else {}),
    }


def exec_process(runc: Runc, container_id: str, cfg: ExecConfig, rootfs: str, *,
                 detach: bool = False, stdin: int | None = None, stdout: int | None = None,
                 stderr: int | None = None, pid_file: str = "") -> int | None:
    """Run `cfg` in the container; its exit code, or None when detached. Its pid is written
    to `pid_file` when one is given (not for an attached tty). The process spec (its Env:
    maybe secrets) and runc's log are two files at `Runc.owned_scratch`'s path, removed
    after, and by the next writer's recovery if this process is killed meanwhile (a tty's
    console socket needs a short folder)."""
    with runc.owned_scratch("exec") as scratch:
        return _exec(runc, container_id, cfg, rootfs, scratch, detach=detach, stdin=stdin,
                     stdout=stdout, stderr=stderr, pid_file=pid_file)


def _exec(runc: Runc, container_id: str, cfg: ExecConfig, rootfs: str, scratch: str, *,
          detach: bool, stdin: int | None, stdout: int | None, stderr: int | None,
          pid_file: str) -> int | None:
    spec_path, log = scratch + ".json", scratch + ".log"
    try:
        fd = os.open(spec_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        with open(fd, "w", encoding="utf-8") as f:
            f.write(dumps(process_spec(cfg, rootfs)))
        verb = f"exec in container {container_id[:12]}"
        if cfg.tty and not detach:
            return _in_child(lambda: _exec_tty(runc, container_id, spec_path, log, stdin,
                                               stdout))
        detached = (["-d"] if detach else []) + (["--pid-file", pid_file] if pid_file else [])
        args = ["exec", "--process", spec_path, *detached, container_id]
        rc = spawn_wait(runc.argv(*args, log=log),
                        stdin=DEVNULL if detach or stdin is None else stdin,
                        stdout=DEVNULL if detach else stdout,
                        stderr=DEVNULL if detach else stderr)
        error = last_error(log)
        if error or (rc != 0 and detach):
            raise translate(verb, error or f"runc exited with {rc}")
        return None if detach else rc
    finally:
        for path in (spec_path, log):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)


def _in_child(fn: Callable[[], int]) -> int:
    """Run `fn` in a forked child (it becomes a subreaper there, not in the caller).

    The caller may have threads (the Engine API service): a lock another thread held at the
    fork stays held for good in the child. So the child loads nothing (`_load_tty` imported
    all it uses and found prctl, before the fork), and collects no garbage (a collected
    SQLite connection's close waits on its mutex)."""
    import gc

    _load_tty()
    err_r, err_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        gc.disable()
        code = 255
        try:
            os.close(err_r)
            code = fn()
        except ScowError as exc:
            os.write(err_w, f"{type(exc).__name__}\n{exc}".encode())
        except BaseException as exc:  # noqa: BLE001
            os.write(err_w, f"RuntimeFailure\n{exc}".encode())
        finally:
            os._exit(code)
    os.close(err_w)
    with os.fdopen(err_r, "rb") as f:
        err = f.read().decode("utf-8", "replace")
    _, status = os.waitpid(pid, 0)
    if err:
        kind, _, msg = err.partition("\n")
        raise rebuild_error(kind, msg)
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 255


def _exec_tty(runc: Runc, cid: str, spec_path: str, log: str, stdin: int | None,
              stdout: int | None) -> int:
    import shutil
    import tempfile

    tmp = tempfile.mkdtemp(prefix="scow-exec-")  # short: a unix socket's path limit
    try:
        return _exec_tty_in(runc, cid, spec_path, log, tmp, stdin, stdout)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


_PRCTL: list[Callable[..., int]] = []  # libc's prctl, found in the parent (dlopen's lock)


def _load_tty() -> None:
    """Import what the tty exec's child uses, and find libc's prctl, in the caller."""
    import ctypes
    import select  # noqa: F401
    import shutil  # noqa: F401
    import socket  # noqa: F401
    import tempfile  # noqa: F401
    import threading  # noqa: F401

    if not _PRCTL:
        _PRCTL.append(ctypes.CDLL(None).prctl)


def _exec_tty_in(runc: Runc, cid: str, spec_path: str, log: str, tmp: str, stdin: int | None,
                 stdout: int | None) -> int:
    import socket
    import threading

    _PRCTL[0](36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    sock_path = os.path.join(tmp, "c.sock")
    pid_file = os.path.join(tmp, "pid")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(sock_path)
    srv.listen(1)
    rc_box: list[int] = []

    def run() -> None:
        args = ["exec", "-d", "--console-socket", sock_path, "--pid-file", pid_file,
                "--process", spec_path, cid]
        rc_box.append(spawn_wait(runc.argv(*args, log=log), stdout=None, stderr=None))
        if rc_box[0] != 0:
            srv.shutdown(socket.SHUT_RDWR)

    t = threading.Thread(target=run)
    t.start()
    master = -1
    try:
        conn, _ = srv.accept()
        master = socket.recv_fds(conn, 1024, 1)[1][0]
        conn.close()
    except OSError:
        pass
    t.join()
    srv.close()
    if rc_box[0] != 0 or master < 0:
        raise translate(f"exec in container {cid[:12]}", last_error(log) or "runc failed")
    with open(pid_file, encoding="ascii") as f:
        pid = int(f.read())
    _pump_tty(master, stdin, stdout if stdout is not None else 1)
    os.close(master)
    _, status = os.waitpid(pid, 0)
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


def _pump_tty(master: int, stdin: int | None, stdout: int) -> None:
    """Copy stdin → master and master → stdout until the pty's other side closes."""
    import select

    watch = [master] + ([stdin] if stdin is not None else [])
    while True:
        ready = select.select(watch, [], [])[0]
        if master in ready:
            try:
                data = os.read(master, 65536)
            except OSError:
                data = b""
            if not data:
                return
            os.write(stdout, data)
        if stdin is not None and stdin in ready:
            data = os.read(stdin, 65536)
            if data:
                os.write(master, data)
            else:
                watch.remove(stdin)
