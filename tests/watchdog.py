"""A last-resort deadline per test item (setup, call and teardown together), above
pytest-timeout's.

pytest-timeout (`timeout` in pyproject.toml) raises in the test once, by SIGALRM. What it
cannot end: a teardown that hangs after its one alarm was spent, or a wait the signal does not
break (a process in uninterruptible sleep, a C call that never returns). CI once stalled that
way until its own time ran out, with no word of which test. Past `DEADLINE`, this prints the
test's name, its process tree (state and kernel wait channel of each) and every thread's
Python stack, then ends the worker with exit status 1: xdist reports the test as failed with
its worker and goes on with a new one, so the run ends red with the evidence instead of never.
"""

from __future__ import annotations

import faulthandler
import os
import subprocess
import threading

DEADLINE = 600.0  # seconds: twice pytest-timeout's 300, so that one always speaks first


class Watchdog:
    """Armed around one test item; `disarm()` when the item ends. `stderr` is a file
    descriptor of the run's real standard error (pytest's capture owns fd 2 during a test,
    and its file is lost with the worker)."""

    def __init__(self, nodeid: str, stderr: int, deadline: float = DEADLINE) -> None:
        self.nodeid, self.stderr, self.deadline = nodeid, stderr, deadline
        # the C-level dump and exit: works even when the main thread holds the GIL for good
        faulthandler.dump_traceback_later(deadline, exit=True, file=stderr)
        # the Python-level report a few seconds earlier: which test, and its processes
        self._timer = threading.Timer(max(deadline - 5, 1), self._report)
        self._timer.daemon = True
        self._timer.start()

    def disarm(self) -> None:
        self._timer.cancel()
        faulthandler.cancel_dump_traceback_later()

    def _report(self) -> None:
        pids = ",".join(str(pid) for pid in _descendants(os.getpid()))
        tree = subprocess.run(["ps", "-ww", "-o", "pid,ppid,stat,wchan:32,etime,args", "-p", pids],
                              capture_output=True, text=True, check=False).stdout
        os.write(self.stderr, f"\nwatchdog: {self.nodeid} still runs after {self.deadline:.0f} s;"
                              f" the worker and its descendants:\n{tree}\n".encode())


def _descendants(root: int) -> list[int]:
    """`root` and every process below it (from /proc/*/stat's ppid field)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as f:
                ppid = int(f.read().rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found
