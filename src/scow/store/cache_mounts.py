"""owns: the folders of ``RUN --mount=type=cache``, kept between builds (BuildKit's cache
mounts): one per cache ID, shared by every build on the root, with its sharing rules, its
listing for ``builder prune``/``system df`` and its removal.

On-disk layout (modes in store/modes.py)::

    <root>/cachemounts/                       0700
    <root>/cachemounts/<sha256(id)>/          0700
        id                                    the cache ID (its mtime: last used)
        lock, lock.<n>                        flocked while a step uses data/, data.<n>/
        data/                                 the shared instance (sharing=shared|locked)
        data.<n>/                             private instances (sharing=private), n = 1, 2, ..

Sharing (BuildKit's): ``shared`` steps use ``data/`` at the same time (a shared flock);
``locked`` waits for an exclusive flock of it; ``private`` takes the first instance nobody
holds, making a new one when all are busy. A new instance is made (and seeded by ``init``)
under an exclusive flock, then the lock goes back to what was asked. Prune removes what no
step holds.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator

from scow.errors import InvalidArgument
from scow.ids import sha256_hex  # not hashlib (OpenSSL): `system df` lists these

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from dataclasses import dataclass
else:
    from scow.typeshim import dataclass


@dataclass(frozen=True)
class CacheMount:
    id: str
    key: str  # the folder's name (sha256 of the ID): what `builder prune` lists
    size: int  # bytes of all its instances
    last_used: float
    in_use: bool


class CacheMountStore:
    def __init__(self, root: str) -> None:
        self.dir = os.path.join(root, "cachemounts")

    def _folder(self, cache_id: str) -> str:
        return os.path.join(self.dir, sha256_hex(cache_id.encode()))

    @contextlib.contextmanager
    def acquire(self, cache_id: str, sharing: str,
                init: Callable[[str], None]) -> Iterator[str]:
        """The data folder of `cache_id` for one step, held as `sharing` says; a new folder
        is first filled by ``init(path)``."""
        if sharing not in ("shared", "private", "locked"):
            raise InvalidArgument(f"cache mount {cache_id}: unsupported sharing {sharing!r}")
        folder = self._folder(cache_id)
        os.makedirs(folder, mode=0o700, exist_ok=True)
        os.chmod(self.dir, 0o700)
        _write_id(os.path.join(folder, "id"), cache_id)
        n = 0
        while True:
            suffix = f".{n}" if n else ""
            fd = os.open(os.path.join(folder, "lock" + suffix), os.O_RDWR | os.O_CREAT, 0o600)
            try:
                mode = {"shared": fcntl.LOCK_SH, "locked": fcntl.LOCK_EX,
                        "private": fcntl.LOCK_EX | fcntl.LOCK_NB}[sharing]
                try:
                    fcntl.flock(fd, mode)
                except BlockingIOError:
                    n += 1
                    continue
                data = os.path.join(folder, "data" + suffix)
                if not os.path.isdir(data):
                    fcntl.flock(fd, fcntl.LOCK_EX)  # made by one, under an exclusive lock
                    if not os.path.isdir(data):
                        _make(data, init)
                    fcntl.flock(fd, mode & ~fcntl.LOCK_NB)
                yield data
                return
            finally:
                os.close(fd)

    def data_path(self, cache_id: str) -> str:
        """The shared instance's folder of `cache_id` (it may not exist yet)."""
        return os.path.join(self._folder(cache_id), "data")

    def list(self) -> list[CacheMount]:
        """Every cache mount on the root, oldest use first."""
        out = []
        for name in sorted(os.listdir(self.dir)) if os.path.isdir(self.dir) else []:
            folder = os.path.join(self.dir, name)
            try:
                with open(os.path.join(folder, "id"), encoding="utf-8") as f:
                    cache_id = f.read()
                used = os.stat(os.path.join(folder, "id")).st_mtime
            except OSError:
                continue
            out.append(CacheMount(cache_id, name, _size(folder), used, _busy(folder)))
        return sorted(out, key=lambda c: c.last_used)

    def remove(self, cache_id: str) -> int:
        """Remove `cache_id`'s folders unless a step holds one; the bytes freed (0 if held)."""
        folder = self._folder(cache_id)
        with contextlib.ExitStack() as held:
            for name in os.listdir(folder) if os.path.isdir(folder) else []:
                if name.startswith("lock"):
                    fd = os.open(os.path.join(folder, name), os.O_RDWR)
                    held.callback(os.close, fd)
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError:
                        return 0
            size = _size(folder)
            import shutil  # start-up: `system df` lists, only prune removes

            shutil.rmtree(folder, ignore_errors=True)
            return size
        return 0


def _write_id(path: str, cache_id: str) -> None:
    """Write the ID once (atomically: a concurrent `list` never reads half of it); later
    uses only touch it (its mtime is the last use)."""
    if os.path.exists(path):
        os.utime(path)
        return
    import threading

    staging = f"{path}.{os.getpid()}.{threading.get_ident()}"
    with open(staging, "w", encoding="utf-8") as f:
        f.write(cache_id)
    os.replace(staging, path)


def _make(data: str, init: Callable[[str], None]) -> None:
    import shutil

    staging = data + ".new"
    shutil.rmtree(staging, ignore_errors=True)
    os.mkdir(staging, 0o755)
    init(staging)
    os.rename(staging, data)


def _size(folder: str) -> int:
    total = 0
    for top, dirs, files in os.walk(folder):
        for name in files + dirs:
            with contextlib.suppress(OSError):
                st = os.lstat(os.path.join(top, name))
                total += st.st_blocks * 512
    return total


def _busy(folder: str) -> bool:
    for name in os.listdir(folder):
        if not name.startswith("lock"):
            continue
        fd = os.open(os.path.join(folder, name), os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
    return False
