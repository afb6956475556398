"""owns: signalling a container's process without a `runc kill`: a pidfd of the pid that
state.json records, checked to be the process the monitor recorded (its start time in clock
ticks after boot, /proc/PID/stat field 22, which the monitor writes beside the pid as
`pid_start`), so that a pid reused by another process never receives the signal.

`runc kill` is a Go process (~5-10 ms of CPU a run) that reads runc's state and calls kill(2)
on the same pid (without `--all`); containerd's shim signals the init the same way. What this
module leaves to runc (the caller falls back to it): a state without `pid_start` (written by
an older monitor), a signal it cannot name, and SIGKILL to every process (`--all`) when the
init is not its pid namespace's init (`--pid host`/`container:`): killing a namespace's init
kills every process in it, which is what `--all` does otherwise.

The check, in this order: pidfd_open(pid), then the start time read from /proc, then the
pidfd polled: a pidfd that is not readable is a live process, so the /proc read in between
was of the pidfd's own process; the signal then goes through that pidfd
(pidfd_send_signal), which can reach no other process.
"""

from __future__ import annotations

import os
import select

SIGRTMAX = 64  # Linux


def start_time(pid: int) -> int:
    """The start time of process `pid` in clock ticks after boot; 0 when it is gone."""
    fields = _stat(pid)
    return int(fields[19]) if len(fields) > 19 else 0


def still_running(pid: int, pid_start: int) -> bool:
    """Whether the process the monitor recorded (`pid` started at `pid_start`) runs yet: not
    gone, not reused, not a zombie waiting for its reaper (a killed process is dead even
    while the monitor has not recorded its exit). True when the pid is not recorded."""
    if not pid or not pid_start:
        return True
    fields = _stat(pid)
    return len(fields) > 19 and int(fields[19]) == pid_start and fields[0] not in (b"Z", b"X")


def _stat(pid: int) -> list[bytes]:
    """/proc/PID/stat's fields from the third (the state) on; [] when the process is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return []
    return data[data.rfind(b")") + 2:].split()  # after the command name


def signal_number(name: str) -> int:
    """The number of the signal `name` ("TERM", "SIGTERM", "15"); 0 for a name not known
    here (runc is asked then, and words its refusal)."""
    text = name.upper().removeprefix("SIG")
    if text.isdigit():
        number = int(text)
        return number if 0 < number <= SIGRTMAX else 0
    if not text.isalnum():
        return 0
    import _signal  # built in and loaded by the interpreter; `signal` loads enum

    number = getattr(_signal, "SIG" + text, 0)
    return number if isinstance(number, int) else 0


def _namespace_init(pid: int) -> bool:
    """Whether process `pid` is pid 1 of its own pid namespace (/proc/PID/status NSpid)."""
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"NSpid:"):
                    return line.split()[-1] == b"1"
    except OSError:
        pass
    return False


def signal_process(pid: int, pid_start: int, name: str, *, all_processes: bool = False
                   ) -> bool:
    """Send the signal `name` to process `pid` if it is still the one that started at
    `pid_start` (with `all_processes`, to every process of its pid namespace: only when it is
    the namespace's init). True when done, or when that process is gone (nothing to signal);
    False when the caller must ask runc instead (see the module doc)."""
    number = signal_number(name)
    if not pid or not pid_start or not number:
        return False
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True  # exited and reaped: the monitor is recording its exit
    except OSError:
        return False
    try:
        if start_time(pid) != pid_start:
            return True  # its pid is another process's now: the recorded one is gone
        if all_processes and (number != 9 or not _namespace_init(pid)):
            return False  # `runc kill --all` signals every process of the cgroup
        if select.select([fd], [], [], 0)[0]:
            return True  # it has exited (a zombie its monitor has not reaped yet)
        import _signal

        _signal.pidfd_send_signal(fd, number)
    except ProcessLookupError:
        pass  # exited meanwhile
    finally:
        os.close(fd)
    return True
