"""owns: <container_dir>/state.json, the monitor's record of one run of a container.

    <container_dir>/state.json   {"status": "created|running|restarting|exited", "pid": 4242,
                                  "pid_start": 81234567, "shim_pid": 4240, "exit_code": 0,
                                  "error": "",
                                  "started_at": "2026-11-29T09:15:13.786102607Z",
                                  "finished_at": "0001-01-01T00:00:00Z",
                                  "restart_count": 0}
    <container_dir>/shim.lock    flocked by the live monitor for its whole life
    <container_dir>/paused       present while the container is paused (`pause`/`unpause`)

`pid` is non-zero exactly while a process may exist ("created" after runc create, "running");
a failed start leaves "created" with pid 0, `error` and docker's exit code (127, 126, 128).
`pid_start` is that process's start time (clock ticks after boot, /proc/PID/stat field 22),
written by the monitor with the pid, so that whoever signals the pid can tell it was not
reused (runtime/signals.py); 0 when unknown (a state written before it was recorded).
"restarting" (pid 0, the last exit code and finish time) is the monitor's back-off between two
runs of a container with a restart policy; `restart_count` counts the runs since the start.
The monitor (shim) is the only writer while it lives; once its lock is free, whoever finds a
state with a pid repairs it (see monitor.refresh). Writes are atomic (a rename), so a reader
sees one whole state; a long-lived reader keeps what it parsed per text (StateCache).
"""

from __future__ import annotations

import os
import time

from scow.fastjson import dumps, loads
from scow.osutil.atomic import atomic_write

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from scow.typeshim import NamedTuple

ZERO_TIME = "0001-01-01T00:00:00Z"
STATE_FILE = "state.json"
LOCK_FILE = "shim.lock"
PAUSED_FILE = "paused"


def rfc3339nano(ns: int | None = None) -> str:
    """Go's RFC3339Nano in UTC (trailing zeros of the fraction dropped)."""
    ns = time.time_ns() if ns is None else ns
    secs, frac = divmod(ns, 1_000_000_000)
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs))
    digits = f"{frac:09d}".rstrip("0")
    return f"{base}.{digits}Z" if digits else f"{base}Z"


class ContainerState(NamedTuple):
    status: str = "created"  # created | running | restarting | exited
    pid: int = 0
    shim_pid: int = 0
    exit_code: int = 0
    error: str = ""
    started_at: str = ZERO_TIME
    finished_at: str = ZERO_TIME
    oom_killed: bool = False  # the memory cgroup's OOM killer killed a process (docker)
    restart_count: int = 0
    pid_start: int = 0  # the start time of `pid` (see the module doc); 0 = not recorded

    @property
    def running(self) -> bool:
        return self.status == "running"

    @property
    def active(self) -> bool:
        """Running or restarting: the monitor keeps the container (docker's State.Running is
        true in both)."""
        return self.status in ("running", "restarting")

    def exited(self, exit_code: int, error: str = "") -> ContainerState:
        return self._replace(status="exited", pid=0, pid_start=0, exit_code=exit_code,
                             error=error, finished_at=rfc3339nano())


def paused_marker(container_dir: str) -> str:
    """The path of the container's `paused` marker."""
    return os.path.join(container_dir, PAUSED_FILE)


def is_paused(container_dir: str) -> bool:
    return os.path.exists(paused_marker(container_dir))


def read_state(container_dir: str) -> ContainerState | None:
    """The recorded state, or None when the container never started a monitor."""
    try:
        with open(os.path.join(container_dir, STATE_FILE), encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return None
    except ValueError:
        return _UNREADABLE
    return _parse_state(text)


_UNREADABLE = ContainerState(status="exited", exit_code=-1, error="state file unreadable")


def _parse_state(text: str) -> ContainerState:
    try:
        raw = loads(text)
    except ValueError:
        return _UNREADABLE
    known = ContainerState._fields
    return ContainerState(**{k: v for k, v in raw.items() if k in known})


def write_state(container_dir: str, state: ContainerState, *, durable: bool = True) -> None:
    """Replace state.json. Not `durable` for "created"/"running": a power loss ends the run,
    and the last durable state (or none) is then read and repaired as any dead run's."""
    atomic_write(os.path.join(container_dir, STATE_FILE), dumps(state._asdict()).encode(),
                 0o600, durable=durable)


class StateCache:
    """read_state that parses a state file again only when its bytes changed. The key is the
    text itself, not the file's (inode, mtime, size): a write replaces the file by rename, and
    ext4 hands the freed inode to the next write while mtime ticks in jiffies, so a third
    write of the same length within one tick had the first one's key (a waiter polling for
    "exited" could be served "running" for good). Reading a state file is one read of a few
    hundred bytes; the parse is what the cache saves. The Engine API service's listings parse
    only what changed."""

    LIMIT = 4096  # containers remembered (more: forget all and start again)

    def __init__(self) -> None:
        self._seen: dict[str, tuple[bytes, ContainerState]] = {}

    def read(self, container_dir: str) -> ContainerState | None:
        try:
            fd = os.open(os.path.join(container_dir, STATE_FILE), os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        try:
            chunks = []
            while chunk := os.read(fd, 65536):
                chunks.append(chunk)
        finally:
            os.close(fd)
        data = b"".join(chunks)
        hit = self._seen.get(container_dir)
        if hit is not None and hit[0] == data:
            return hit[1]
        try:
            state = _parse_state(data.decode("utf-8"))
        except ValueError:  # not UTF-8
            state = _UNREADABLE
        if len(self._seen) >= self.LIMIT:
            self._seen = {}
        self._seen[container_dir] = (data, state)
        return state
