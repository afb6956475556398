"""owns: the private ssh-agents of a build given key files (``--ssh id=KEY[,KEY...]``): as
BuildKit loads key files into an agent of its own, one ssh-agent per such id is started before
the build, each key is added to it (``ssh-add -`` from a pipe: the key is never written
anywhere), and its socket is forwarded like an ``--ssh id=SOCKET`` one. Each agent is stopped,
by its pid, when the build ends, fails or is interrupted; if the build process is killed, the
agent sees its holder (below) end and exits within 10 s.

    <root>/tmp/<owner>.ssh-XXXXXXXX/        0700, one per agent, removed with it (the next
        agent.sock                          writer's recovery takes it if the build dies)
        agent.log                           ssh-agent's stderr, read only when it fails

When that socket path is too long for a unix socket (108 bytes), the folder is a private
mkdtemp in the system's temp folder instead."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from scow.build.ports import SshSource
from scow.errors import InvalidArgument, Unavailable

if TYPE_CHECKING:
    from scow.store.store import Store

_SUN_PATH_MAX = 107  # sockaddr_un.sun_path less its NUL
_STOP_TIMEOUT = 5.0
# ssh-agent runs this in the pid it was started as (then the agent's parent): it tells the
# agent's pid and lives until its stdin, a pipe from this process, ends. The agent checks every
# 10 s that its parent lives (it was given a command), so it exits after a killed build too:
# ssh-agent is setgid on Debian, so a death signal (PR_SET_PDEATHSIG) would not survive exec.
_HOLDER = 'echo "$SSH_AGENT_PID" && exec cat >/dev/null'


@contextlib.contextmanager
def key_agents(store: Store | None,
               sources: tuple[SshSource, ...]) -> Iterator[tuple[SshSource, ...]]:
    """`sources` with each key-file source replaced by its running agent's socket."""
    with contextlib.ExitStack() as stack:
        out = []
        for src in sources:
            if src.keys:
                sock = stack.enter_context(_agent(store, src))
                src = SshSource(src.id, sock)
            out.append(src)
        yield tuple(out)


@contextlib.contextmanager
def _agent(store: Store | None, src: SshSource) -> Iterator[str]:
    if shutil.which("ssh-agent") is None or shutil.which("ssh-add") is None:
        raise Unavailable(f"ssh {src.id}: ssh-agent not found (install openssh-client)")
    folder = _private_folder(store)
    try:
        sock = os.path.join(folder, "agent.sock")
        with open(os.path.join(folder, "agent.log"), "wb") as log:
            holder = subprocess.Popen(["ssh-agent", "-a", sock, "sh", "-c", _HOLDER],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=log)
        try:
            pid = _agent_pid(holder, src.id, folder)
            try:
                for key in src.keys:
                    _add(sock, key, src.id)
                yield sock
            finally:
                _stop(pid)
        finally:
            _close(holder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _private_folder(store: Store | None) -> str:
    """A 0700 folder for one agent: in the store's temp folder (owned by this process) when
    the socket's path fits there, else a private mkdtemp."""
    if store is not None:
        os.makedirs(store.tmp, exist_ok=True)
        prefix = f"{store.owner.name}.ssh-"
        if len(os.path.join(store.tmp, prefix + "x" * 8, "agent.sock")) <= _SUN_PATH_MAX:
            return tempfile.mkdtemp(prefix=prefix, dir=store.tmp)  # mode 0700
    return tempfile.mkdtemp(prefix="scow-ssh-")


def _agent_pid(holder: subprocess.Popen[bytes], sid: str, folder: str) -> int:
    """The agent's pid, which the holder prints first (ssh-agent forks: the agent is the
    child, the holder the parent it watches)."""
    assert holder.stdout is not None
    line = holder.stdout.readline().strip()
    if line.isdigit():
        return int(line)
    holder.wait()
    with open(os.path.join(folder, "agent.log"), "rb") as f:
        said = f.read().decode(errors="replace").strip().splitlines()
    why = said[-1] if said else f"exit status {holder.returncode}"
    raise Unavailable(f"ssh {sid}: start ssh-agent: {why}")


def _add(sock: str, key: str, sid: str) -> None:
    """Add the key file `key` through a pipe (no permission check on the file, no prompt: a
    new session has no terminal and askpass is off)."""
    try:
        with open(key, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise InvalidArgument(f"ssh {sid}: read {key}: {exc.strerror}") from None
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "SSH_ASKPASS")}
    env.update(SSH_AUTH_SOCK=sock, SSH_ASKPASS_REQUIRE="never")
    proc = subprocess.run(["ssh-add", "-q", "-"], input=data, capture_output=True, env=env,
                          start_new_session=True)
    if proc.returncode == 0:
        return
    said = proc.stderr.decode(errors="replace")
    if "passphrase" in said:
        raise InvalidArgument(f"ssh {sid}: {key}: the key is passphrase-protected (load it "
                              "into an agent and give its socket)")
    raise InvalidArgument(f"ssh {sid}: {key}: not a private key ssh-add can load")


def _stop(pid: int) -> None:
    """SIGTERM to the agent (it removes its socket and exits), and wait until it is gone or a
    zombie of the holder (reaped once the holder ends)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + _STOP_TIMEOUT
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    if _alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def _close(holder: subprocess.Popen[bytes]) -> None:
    """End the holder: EOF on its stdin."""
    assert holder.stdin is not None and holder.stdout is not None
    with contextlib.suppress(OSError):
        holder.stdin.close()
    holder.stdout.close()
    try:
        holder.wait(timeout=_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        holder.kill()
        holder.wait()
