"""owns: driving the `runc` binary (create/start/state/kill/delete/exec/pause/resume/ps).

Each call runs runc with `--root <state dir>` and `--log <file> --log-format json`, so that the
error runc reports is read from its log even when its stderr belongs to the container process.
Errors: `CommandNotFound` (exit 127 for `run`), `CommandNotExecutable` (126), otherwise
`RuntimeFailure` carrying runc's last error line.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager

from scow import errors
from scow.errors import ContainerNotFound, RuntimeFailure, ScowError
from scow.fastjson import loads
from scow.osutil.spawn import DEVNULL, spawn_wait

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import IO, Any

if TYPE_CHECKING:  # an alias for annotations only
    _File = int | IO[Any] | None



class CommandNotFound(RuntimeFailure):
    """The container's command does not exist (`docker run` exits 127)."""

    exit_code = 127


class CommandNotExecutable(RuntimeFailure):
    """The container's command cannot be executed (`docker run` exits 126)."""

    exit_code = 126


def rebuild_error(kind: str, message: str) -> ScowError:
    """The error named `kind` (from this module or scow.errors) that another process raised."""
    cls = globals().get(kind) or getattr(errors, kind, None)
    if isinstance(cls, type) and issubclass(cls, ScowError):
        return cls(message)
    return RuntimeFailure(message)


def translate(verb: str, message: str) -> ScowError:
    """The scow error for runc's error `message` met while doing `verb`."""
    msg = message.strip().splitlines()[-1] if message.strip() else "runc failed"
    for prefix in ("exec failed: ", "runc run failed: ", "runc create failed: "):
        msg = msg.removeprefix(prefix)
    text = f"{verb}: {msg}"
    if "executable file not found" in msg or "no such file or directory" in msg and "exec:" in msg:
        return CommandNotFound(text)
    if "permission denied" in msg and "exec:" in msg:
        return CommandNotExecutable(text)
    if "does not exist" in msg and "container" in msg:
        return ContainerNotFound(text)
    return RuntimeFailure(text)


class Runc:
    """The runc binary at `path`, keeping its state under `root`. `staging`, when given,
    makes the paths of the files that must not outlive a killed caller (see
    `owned_scratch`; the engine's: the store's `owned_tmp_path`)."""

    def __init__(self, path: str = "runc", root: str = "/run/scow/runc",
                 staging: Callable[[str], AbstractContextManager[str]] | None = None) -> None:
        self.path = path
        self.root = root
        self.staging = staging

    def argv(self, *args: str, log: str | None = None) -> list[str]:
        base = [self.path, "--root", self.root]
        if log:
            base += ["--log", log, "--log-format", "json"]
        return [*base, *args]

    def run(self, verb: str, args: Sequence[str], *, stdin: _File = DEVNULL,
            stdout: _File = DEVNULL, stderr: _File = DEVNULL, check: bool = True) -> int:
        """Run `runc args...`; on failure raise the translated error (when `check`)."""
        log = self.scratch("runc-log")
        try:
            try:
                rc = spawn_wait(self.argv(*args, log=log), stdin=stdin, stdout=stdout,
                                stderr=stderr)
            except OSError as exc:
                raise RuntimeFailure(f"{verb}: run {self.path}: {exc.strerror}") from exc
            if rc != 0 and check:
                raise translate(verb, last_error(log))
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(log)
        return rc

    def scratch(self, kind: str) -> str:
        """A new path under runc's root for one call's files (its JSON log), named by `kind`,
        this process and 48 random bits; runc's root is made here when missing."""
        os.makedirs(self.root, exist_ok=True)
        return os.path.join(self.root, f"{kind}-{os.getpid()}-{os.urandom(6).hex()}")

    @contextlib.contextmanager
    def owned_scratch(self, kind: str) -> Iterator[str]:
        """For the block, a new path for one call's files that must not outlive a killed
        caller (an exec's process.json holds its Env, so maybe secrets): with `staging`, a
        staging path under an owner token held for the block (the next writer's recovery
        removes it if this process dies: <root>/tmp/<token>.<kind>-<rand>); else `scratch`'s.
        The caller removes the files."""
        if self.staging is None:
            yield self.scratch(kind)
            return
        with self.staging(f"{kind}-{os.urandom(6).hex()}") as path:
            yield path

    def create(self, cid: str, bundle: str, *, pid_file: str, console_socket: str | None = None,
               stdin: _File = DEVNULL, stdout: _File = DEVNULL,
               stderr: _File = DEVNULL) -> None:
        args = ["create", "--bundle", bundle, "--pid-file", pid_file]
        if console_socket:
            args += ["--console-socket", console_socket]
        self.run(f"create container {cid[:12]}", [*args, cid], stdin=stdin, stdout=stdout,
                 stderr=stderr)

    def start(self, cid: str) -> None:
        self.run(f"start container {cid[:12]}", ["start", cid])

    def state(self, cid: str) -> dict[str, Any] | None:
        """runc's state of `cid` (status created/running/paused/stopped), None if unknown."""
        import subprocess

        proc = subprocess.run(self.argv("state", cid), capture_output=True, text=True)
        if proc.returncode != 0:
            return None
        result: dict[str, Any] = loads(proc.stdout)
        return result

    def knows(self, cid: str) -> bool:
        """Whether runc keeps a record of `cid` (its `<root>/<id>/state.json`): a stat instead
        of a `runc state` process, for the callers that only need to know whether to delete."""
        return os.path.exists(os.path.join(self.root, cid, "state.json"))

    def kill(self, cid: str, signal: str = "TERM", *, all_processes: bool = False) -> None:
        args = ["kill", "--all"] if all_processes else ["kill"]
        self.run(f"kill container {cid[:12]}", [*args, cid, signal])

    def delete(self, cid: str, *, force: bool = False) -> None:
        """Delete runc's record of `cid`; a missing container is not an error."""
        args = ["delete", "--force", cid] if force else ["delete", cid]
        rc = self.run(f"delete container {cid[:12]}", args, check=False)
        if rc != 0 and self.state(cid) is not None:
            self.run(f"delete container {cid[:12]}", ["delete", "--force", cid])

    @contextlib.contextmanager
    def deleted_if_caller_dies(self, cid: str) -> Iterator[None]:
        """For the block, a guard process (a `sh` blocked reading a pipe only this process
        writes) that runs `runc delete --force cid` if this process dies before the block ends.
        A foreground `runc run` outlives its killed parent, and its container outlives a killed
        runc (measured: `RUN sleep 27` ran on after a kill -9 of scow build, then of runc), so
        without it a killed build leaves its step running until another command recovers it;
        BuildKit likewise cancels the steps of a build whose client went away. The guard has
        its own session: a Ctrl-C at the terminal reaches scow and runc, not the guard."""
        import subprocess

        r, w = os.pipe()
        script = 'read done; [ "$done" = ok ] || exec "$@"'
        try:
            guard = subprocess.Popen(["/bin/sh", "-c", script, "sh",
                                      *self.argv("delete", "--force", cid)],
                                     stdin=r, stdout=DEVNULL,
                                     stderr=DEVNULL, start_new_session=True)
        except OSError as exc:
            os.close(w)
            raise RuntimeFailure(f"guard container {cid[:12]}: {exc.strerror}") from exc
        finally:
            os.close(r)
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                os.write(w, b"ok\n")
            os.close(w)
            guard.wait()

    def pause(self, cid: str) -> None:
        self.run(f"pause container {cid[:12]}", ["pause", cid])

    def resume(self, cid: str) -> None:
        self.run(f"unpause container {cid[:12]}", ["resume", cid])

    def ps(self, cid: str) -> list[int]:
        import subprocess

        proc = subprocess.run(self.argv("ps", "--format", "json", cid), capture_output=True,
                              text=True)
        if proc.returncode != 0:
            raise translate(f"list processes of container {cid[:12]}", proc.stderr)
        return [int(p) for p in loads(proc.stdout or "[]") or []]


def last_error(log_path: str) -> str:
    """The last error message in a runc JSON log file."""
    msg = ""
    try:
        with open(log_path, encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    entry = loads(line)
                except ValueError:
                    continue
                if entry.get("level") in ("error", "fatal"):
                    msg = str(entry.get("msg", ""))
    except OSError:
        pass
    return msg
