"""monitor.wait_gone: the wait for a container's monitor to exit is a pidfd of the monitor
(state.json's shim_pid), not a poll of its lock every 20 ms."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

from scow.runtime.monitor import wait_gone
from scow.runtime.state import LOCK_FILE, ContainerState, write_state

MONITOR = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


def _monitor(folder: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", MONITOR, str(folder / LOCK_FILE),
                             str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline() == "locked\n"
    write_state(str(folder), ContainerState(status="exited", shim_pid=proc.pid))
    return proc


def test_returns_when_the_monitor_exits(tmp_path: Path) -> None:
    proc = _monitor(tmp_path, 0.3)
    start = time.monotonic()
    wait_gone(str(tmp_path), 10)
    assert proc.poll() is not None or _reaped_soon(proc)
    assert time.monotonic() - start < 5
    proc.communicate()


def _reaped_soon(proc: subprocess.Popen[str]) -> bool:
    """The monitor exited (a zombie until reaped: its lock is released at exit)."""
    fd = os.open(str(Path(f"/proc/{proc.pid}/stat")), os.O_RDONLY)
    try:
        return os.read(fd, 512).split(b") ")[1][:1] == b"Z"
    finally:
        os.close(fd)


def test_a_reused_pid_falls_back_to_the_lock(tmp_path: Path) -> None:
    """shim_pid names a live process that is not the monitor: the lock decides."""
    proc = _monitor(tmp_path, 0.3)
    write_state(str(tmp_path), ContainerState(status="exited", shim_pid=os.getpid()))
    start = time.monotonic()
    wait_gone(str(tmp_path), 10)
    assert time.monotonic() - start < 5
    proc.communicate()
    fd = os.open(str(tmp_path / LOCK_FILE), os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free
    finally:
        os.close(fd)


def test_no_monitor_returns_at_once(tmp_path: Path) -> None:
    start = time.monotonic()
    wait_gone(str(tmp_path), 10)
    assert time.monotonic() - start < 1
