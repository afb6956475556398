"""owns: crash-safe file writes: a temp file in the same folder, fsync, os.replace, fsync the
folder. A reader sees the old bytes or the new bytes, never a mix, whatever kills the writer.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import BinaryIO


def fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_writer(path: str, mode: int = 0o644, *, durable: bool = True) -> Iterator[BinaryIO]:
    """Write `path` atomically; the file appears only if the block finishes without error.
    Not `durable`: no fsync of the file or the folder, for a file its next writer makes again
    when a power loss took it (a container run's bundle and monitor files)."""
    folder = os.path.dirname(path) or "."
    tmp = os.path.join(folder, f".tmp-{os.path.basename(path)}-{os.getpid()}-{os.urandom(4).hex()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fchmod(f.fileno(), mode)
            if durable:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if durable:
        fsync_dir(folder)


def atomic_write(path: str, data: bytes, mode: int = 0o644, *, durable: bool = True) -> None:
    """Replace `path` with `data` atomically (and durably unless told: see atomic_writer)."""
    with atomic_writer(path, mode, durable=durable) as f:
        f.write(data)


def write_new(path: str, data: bytes, mode: int = 0o644, *, durable: bool = True) -> None:
    """Create `path`, which must not exist, with `data`: for a file in a folder that is itself
    new and not yet published (no reader can see a partial file, so no temp name and rename;
    a killed writer leaves a folder its intent row rolls back). `durable` fsyncs the file;
    the caller fsyncs the folder once for all its new entries."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    try:
        os.write(fd, data)
        if durable:
            os.fsync(fd)
    finally:
        os.close(fd)


def rename_durably(src: str, dst: str) -> None:
    """Rename `src` to `dst` (files or folders) and fsync both parent folders."""
    os.replace(src, dst)
    fsync_dir(os.path.dirname(dst) or ".")
    src_parent = os.path.dirname(src) or "."
    if os.path.abspath(src_parent) != os.path.abspath(os.path.dirname(dst) or "."):
        fsync_dir(src_parent)
