"""runtime/signals.py: a container's process is signalled through a pidfd only while its pid
is still the process the monitor recorded (its start time); anything it cannot decide goes
back to the caller (runc kill)."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator

import pytest

from scow.runtime import signals
from scow.runtime.signals import signal_number, signal_process, start_time, still_running


@pytest.fixture
def child() -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(["sleep", "60"])
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def _stat_start(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[19])


def test_start_time_is_field_22_of_the_process(child: subprocess.Popen[bytes]) -> None:
    assert start_time(child.pid) == _stat_start(child.pid) > 0
    assert start_time(os.getpid()) == _stat_start(os.getpid())
    assert start_time(2**22 + 12345) == 0  # above pid_max: no such process


def test_signals_the_recorded_process(child: subprocess.Popen[bytes]) -> None:
    assert signal_process(child.pid, start_time(child.pid), "TERM")
    assert child.wait(10) == -15


def test_a_reused_pid_is_not_signalled(child: subprocess.Popen[bytes]) -> None:
    """A start time that is not the process's (the recorded one exited and another took its
    pid): nothing is sent, and the caller needs no runc (the recorded process is gone)."""
    assert signal_process(child.pid, start_time(child.pid) - 1, "KILL")
    time.sleep(0.1)
    assert child.poll() is None


def test_an_exited_unreaped_process_is_not_signalled() -> None:
    proc = subprocess.Popen(["true"])
    recorded = start_time(proc.pid)
    os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)  # a zombie: the pid is still its
    try:
        assert signal_process(proc.pid, recorded, "KILL")
    finally:
        assert proc.wait() == 0  # exited by itself, not killed


def test_left_to_runc(child: subprocess.Popen[bytes]) -> None:
    """No start time recorded (an older monitor's state), a pid of 0 (restarting), a signal
    not known here, KILL to every process of a process that is not its pid namespace's init,
    a signal other than KILL to every process: the caller runs `runc kill`."""
    begun = start_time(child.pid)
    assert not signal_process(child.pid, 0, "TERM")
    assert not signal_process(0, begun, "TERM")
    assert not signal_process(child.pid, begun, "RTMIN+3")
    assert not signal_process(child.pid, begun, "KILL", all_processes=True)
    assert not signal_process(child.pid, begun, "TERM", all_processes=True)
    time.sleep(0.1)
    assert child.poll() is None


def test_signal_numbers() -> None:
    assert [signal_number(n) for n in ("TERM", "SIGTERM", "sigkill", "9", "HUP", "USR1")] == \
        [15, 15, 9, 9, 1, 10]
    assert signal_number("RTMIN") == 34
    assert [signal_number(n) for n in ("0", "65", "999", "NOPE", "_DFL", "RTMIN+3", "")] == \
        [0] * 7


def test_still_running_tells_a_killed_process_from_a_live_one() -> None:
    """stop's check before its `runc kill` fallback: a killed init whose exit the monitor has
    not recorded yet (a zombie, or gone) is not running; a live one, or an unrecorded pid, is."""
    me = os.getpid()
    assert still_running(me, start_time(me))
    assert not still_running(me, start_time(me) + 1)  # a reused pid
    assert still_running(0, 0) and still_running(me, 0)  # nothing recorded: assume it runs
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os._exit(0)
    started = start_time(pid)
    try:
        deadline = time.monotonic() + 10
        while signals._stat(pid)[:1] != [b"Z"] and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not still_running(pid, started)  # a zombie
    finally:
        os.waitpid(pid, 0)
    assert not still_running(pid, started)  # gone
