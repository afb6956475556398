"""owns: cross-process locks (flock on files) and owner tokens.

An *owner token* is a file ``<locks>/owner-<pid>-<rand>`` that a live scow process holds an
exclusive flock on for its whole life. Intent records name their owner token; a later process
that can take the flock knows the owner is gone and may roll its work back (the pattern of
containers/storage's tempdir instance locks).
"""

from __future__ import annotations

import _thread  # threading's own primitives: threading costs ~1 ms of a cold start
import contextlib
import errno
import fcntl
import os
import time
from collections.abc import Iterator

from scow.errors import LockTimeout


@contextlib.contextmanager
def flocked(path: str, *, shared: bool = False, timeout: float | None = None) -> Iterator[int]:
    """Hold a flock on `path` (created if missing) for the block; yields the fd."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        _acquire(fd, path, shared=shared, timeout=timeout)
        yield fd
    finally:
        os.close(fd)  # closing the last fd of the open file description drops the lock


def _acquire(fd: int, path: str, *, shared: bool, timeout: float | None) -> None:
    op = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    if timeout is None:
        fcntl.flock(fd, op)
        return
    deadline = time.monotonic() + timeout
    delay = 0.002
    while True:
        try:
            fcntl.flock(fd, op | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EWOULDBLOCK):
                raise
        if time.monotonic() >= deadline:
            raise LockTimeout(f"lock {os.path.basename(path)}: timed out after {timeout:g}s")
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def is_locked(path: str) -> bool:
    """True when another open file description holds a flock on `path`."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
            return True
        raise
    finally:
        os.close(fd)
    return False


class OwnerToken:
    """This process's owner token in `folder`, created on first use and held until exit."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self._fd: int | None = None
        self._name: str | None = None
        self._lock = _thread.allocate_lock()  # one token per process, however many threads ask

    @property
    def name(self) -> str:
        with self._lock:
            return self._make()

    def _make(self) -> str:
        while self._name is None:
            os.makedirs(self.folder, mode=0o700, exist_ok=True)
            name = f"owner-{os.getpid()}-{os.urandom(4).hex()}"
            # locked under a temporary name, then renamed: no other process can ever see
            # the token's name unlocked and take this live owner for a dead one
            tmp = os.path.join(self.folder, f".{name}")
            fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                os.rename(tmp, os.path.join(self.folder, name))
            except FileNotFoundError:  # a reaper took the unlocked temp file: try again
                os.close(fd)
                continue
            self._fd, self._name = fd, name
        return self._name

    def is_alive(self, name: str) -> bool:
        """Whether the owner `name` (this process's or another's) still holds its token."""
        if name == self._name:
            return True
        return is_locked(os.path.join(self.folder, name))

    def release(self) -> None:
        if self._fd is not None and self._name is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(self.folder, self._name))
            os.close(self._fd)
            self._fd = self._name = None

    def reap_dead(self) -> list[str]:
        """Delete token files whose owner is gone; returns their names."""
        gone: list[str] = []
        with contextlib.suppress(FileNotFoundError):
            for name in os.listdir(self.folder):
                path = os.path.join(self.folder, name)
                if name.startswith(".owner-") and not is_locked(path):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(path)  # a token whose process died before naming it
                    continue
                if name.startswith("owner-") and name != self._name and not self.is_alive(name):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(os.path.join(self.folder, name))
                    gone.append(name)
        return gone
