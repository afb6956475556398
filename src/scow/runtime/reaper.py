"""owns: reaping the processes orphaned to the monitor, a child subreaper (runc exec's
intermediate children, a health probe's process after a timeout). A pid namespace's init
cannot finish exiting while one of its processes is an unreaped zombie, so the monitor must
reap them all, except the container's own process (its exit status is read by the monitor)
and a child a thread is waiting for (guarded by that thread's lock)."""

from __future__ import annotations

import os
import threading


def children() -> list[int]:
    """The pids of this process's children (of every thread)."""
    out = []
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/children", encoding="ascii") as f:
                out += [int(p) for p in f.read().split()]
        except OSError:
            pass
    return out


def reap_orphans(keep: int, busy: threading.Lock | None = None) -> None:
    """Reap every exited child but `keep`; nothing while `busy` is held (a thread's
    subprocess is running: its exit status is that thread's)."""
    if busy is not None and not busy.acquire(blocking=False):
        return
    try:
        for pid in children():
            if pid != keep:
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
    finally:
        if busy is not None:
            busy.release()
