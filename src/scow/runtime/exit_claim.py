"""owns: the exit claim: which process does a stopped container's exit work (release its
rootfs mount and network, remove it for --rm), the process that waits for the exit (an
attached `run`, a `stop`) or the monitor's exit command (a second scow process), so that
exactly one of them does it.

    <container_dir>/exit.lock   flock held by the waiting `run` from before the start, or by
                                `stop` from before its signal, until it has done the exit work
                                (or died)
    <container_dir>/exit.done   made by the waiter once the work is done; the monitor
                                consumes it (a `start` removes one a dead monitor left)

The monitor, once the container has exited, takes the flock (waiting while the waiter works):
the folder gone (removed by `run --rm`) or ``exit.done`` there means the waiter did the work;
otherwise (no waiter, or one that was killed before it finished) it runs its exit command.
The exit work itself is idempotent, so a waiter killed half-way leaves nothing the exit
command cannot finish.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator

LOCK = "exit.lock"
DONE = "exit.done"


@contextlib.contextmanager
def claimed(container_dir: str) -> Iterator[None]:
    """Hold the claim for the block (the waiter's side): the monitor's exit command waits."""
    fd = os.open(os.path.join(container_dir, LOCK), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC,
                 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def try_claim(container_dir: str) -> int | None:
    """Take the claim without waiting (`stop`'s side): the descriptor that holds it (give it
    to `release`), or None when another waiter (an attached `run`, another `stop`) or the
    monitor holds it, or the folder is gone."""
    try:
        fd = os.open(os.path.join(container_dir, LOCK), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC,
                     0o600)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


@contextlib.contextmanager
def holding(fd: int) -> Iterator[None]:
    """Hold, for the block, a claim `try_claim` took earlier (an attached `run` takes it at
    create, before the container's record is seen: a concurrent prune skips it)."""
    try:
        yield
    finally:
        release(fd)


def release(fd: int | None) -> None:
    """Give up a claim `try_claim` took (the monitor, waiting for it, goes on)."""
    if fd is not None:
        os.close(fd)


def mark_done(container_dir: str) -> None:
    """The waiter did the exit work (inside `claimed`); nothing to do when the folder went."""
    with contextlib.suppress(FileNotFoundError):
        os.close(os.open(os.path.join(container_dir, DONE),
                         os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600))


def clear(container_dir: str) -> None:
    """Forget a done mark a killed monitor never consumed (before the next start)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(os.path.join(container_dir, DONE))


def done_by_waiter(container_dir: str) -> bool:
    """The monitor's side, after the container exited: whether a waiter did the exit work
    (waits while one holds the claim; consumes its done mark)."""
    try:
        fd = os.open(os.path.join(container_dir, LOCK), os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return not os.path.isdir(container_dir)  # no waiter ever claimed it
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if not os.path.isdir(container_dir):
            return True  # removed by `run --rm`
        try:
            os.unlink(os.path.join(container_dir, DONE))
        except FileNotFoundError:
            return False
        return True
    finally:
        os.close(fd)
